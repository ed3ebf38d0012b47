import type http from 'node:http';
import type { ListenerLimits } from '../config.ts';

/**
 * The time and connection bounds of config.ts's ListenerLimits, as Node's HTTP server takes
 * them. Every listener (the API server, the gateway) is built with these options and then
 * given `applyListenerLimits`, so no client can hold a socket by sending slowly or not at all.
 *
 * Node enforces requestTimeout and headersTimeout by sweeping its connections every
 * connectionsCheckingInterval (30 s by default, which would let a 1 s limit run for 31 s): the
 * sweep runs at a quarter of the shortest limit, at most every second.
 */
export function listenerOptions(limits: ListenerLimits): http.ServerOptions {
  const headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return {
    requestTimeout: limits.requestTimeoutMs,
    // Node refuses a headers timeout longer than the request timeout.
    headersTimeout,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
}

/** Sets the limits on a created server (the options a constructor cannot take, and all the others again). */
export function applyListenerLimits(server: http.Server, limits: ListenerLimits): void {
  const options = listenerOptions(limits);
  server.requestTimeout = options.requestTimeout!;
  server.headersTimeout = options.headersTimeout!;
  server.keepAliveTimeout = options.keepAliveTimeout!;
  // Past it Node accepts a connection and closes it at once (the `drop` event).
  server.maxConnections = limits.maxConnections;
}
