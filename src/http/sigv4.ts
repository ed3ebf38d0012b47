/**
 * The SigV4 seam. Admin (IAM) operations arrive signed by the CLI and SDKs; end-user operations
 * arrive unsigned. Today Tobira reads the credential scope (for the region) and accepts any
 * signature; checking signatures against configured credentials is a later issue and belongs here:
 * it will throw UnrecognizedClientException / InvalidSignatureException /
 * MissingAuthenticationTokenException as AWS's front end does.
 */
export interface SigV4Scope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

/** The credential scope of an `AWS4-HMAC-SHA256 Credential=AKID/20260101/region/service/aws4_request, ...` header. */
export function parseCredentialScope(authorization: string | undefined): SigV4Scope | undefined {
  const m = authorization?.match(/^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/);
  if (!m) return undefined;
  return { accessKeyId: m[1], date: m[2], region: m[3], service: m[4] };
}

export interface SignedRequest {
  authorization: string | undefined;
  operationAuth: 'none' | 'sigv4';
}

/** Authenticates an admin call. Accepts every request until signature checking lands. */
export function authenticate(req: SignedRequest): SigV4Scope | undefined {
  return parseCredentialScope(req.authorization);
}
