import type { IncomingHttpHeaders } from 'node:http';

/** One request as the gateway received it, body read. */
export interface GatewayRequest {
  /** A UUID: a REST API's requestId and x-amzn-RequestId. */
  requestId: string;
  /**
   * API Gateway's short id (`BQGojGK5joEFZ1A=`): a REST API's extendedRequestId and x-amz-apigw-id,
   * an HTTP API's requestId and apigw-requestid.
   */
  shortId: string;
  /** `HTTP/1.1`, as the client spoke it. */
  protocol: string;
  method: string;
  /** The path as received (percent-encoded), stage included. */
  fullPath: string;
  /** The resource path: fullPath without the stage. */
  path: string;
  /** The query string without `?`, as received. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  /** Header names and values in arrival order, names as the client spelled them. */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  /** ms since the epoch, from the gateway's clock. */
  receivedAt: number;
  host: string;
}
