import type { IncomingHttpHeaders } from 'node:http';

/** One request as the gateway received it, body read. */
export interface GatewayRequest {
  requestId: string;
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
