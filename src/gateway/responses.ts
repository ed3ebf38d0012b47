/** What the gateway sends back: status, headers, body. */
export interface GatewayResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer | string;
}

export type GatewayErrorKind = 'unauthorized' | 'forbidden' | 'unknownRoute' | 'integrationFailed' | 'timeout' | 'tooLarge';

/**
 * API Gateway's own error answers ("gateway responses"), as each API type sends them.
 * REST: 401 `{"message":"Unauthorized"}` with x-amzn-ErrorType UnauthorizedException; an unknown
 * route or method is 403 `{"message":"Missing Authentication Token"}`; a Lambda that throws or
 * answers badly is 502 `{"message": "Internal server error"}` (with the space, as REST APIs write
 * it). HTTP APIs: 401 Unauthorized / 403 Forbidden with a www-authenticate header, 404 Not Found,
 * 500 Internal Server Error, 503 on an integration timeout.
 */
export function gatewayError(apiType: 'rest' | 'http', kind: GatewayErrorKind, detail?: { wwwAuthenticate?: string }): GatewayResponse {
  const json = (status: number, body: string, errorType?: string): GatewayResponse => ({
    status,
    headers: { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}) },
    body,
  });
  if (apiType === 'rest') {
    switch (kind) {
      case 'unauthorized':
      case 'forbidden':
        return json(401, '{"message":"Unauthorized"}', 'UnauthorizedException');
      case 'unknownRoute':
        return json(403, '{"message":"Missing Authentication Token"}', 'MissingAuthenticationTokenException');
      case 'integrationFailed':
        return json(502, '{"message": "Internal server error"}', 'InternalServerErrorException');
      case 'timeout':
        return json(504, '{"message": "Endpoint request timed out"}');
      case 'tooLarge':
        return json(413, '{"message":"Request Too Long"}', 'RequestTooLargeException');
    }
  }
  const www: Record<string, string> = detail?.wwwAuthenticate ? { 'www-authenticate': detail.wwwAuthenticate } : {};
  switch (kind) {
    case 'unauthorized':
      return { ...json(401, '{"message":"Unauthorized"}'), headers: { 'content-type': 'application/json', ...www } };
    case 'forbidden':
      return { ...json(403, '{"message":"Forbidden"}'), headers: { 'content-type': 'application/json', ...www } };
    case 'unknownRoute':
      return json(404, '{"message":"Not Found"}');
    case 'integrationFailed':
      return json(500, '{"message":"Internal Server Error"}');
    case 'timeout':
      return json(503, '{"message":"Service Unavailable"}');
    case 'tooLarge':
      return json(413, '{"message":"Request Entity Too Large"}');
  }
}
