// The load generator's HTTP/1.1 client: one keep-alive socket a loop, each request written as one
// buffer, each answer read by its Content-Length. node:http's agent, request and IncomingMessage
// cost the generator about 50 µs a request, more than a read path costs the server; on a two-core
// machine that share came out of the server's core and lengthened its queue. This costs a write
// and a read. Answers must carry a Content-Length (Tobira's and fastify's do); any other framing
// is refused rather than guessed.
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  status: number;
  body: string;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** One request's bytes: request line, headers with Host and Content-Length, body. */
export function requestBytes(host: string, path: string, headers: Record<string, string>, body: string): Buffer {
  const payload = Buffer.from(body, 'utf8');
  let head = `POST ${path} HTTP/1.1\r\nhost: ${host}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'host') continue;
    head += `${name}: ${value}\r\n`;
  }
  head += `content-length: ${payload.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

/** A keep-alive connection that sends one request at a time; it reconnects when the server closes. */
export class RawConnection {
  private socket: Socket | undefined;
  private pending: { resolve: (a: RawAnswer) => void; reject: (e: Error) => void } | undefined;
  private buffered: Buffer = Buffer.alloc(0);
  /** Set once the head is read: the answer's status, where its body starts, and its length. */
  private head: { status: number; bodyStart: number; length: number; close: boolean } | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  send(bytes: Buffer): Promise<RawAnswer> {
    if (this.pending) return Promise.reject(new Error('one request at a time on a RawConnection'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.open().write(bytes);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // An error is followed by a close: only the first, while this socket is still the current one, counts.
    const fail = (err: Error) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.buffered = Buffer.alloc(0);
      this.head = undefined;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the server closed the connection before answering')));
    this.socket = socket;
    return socket;
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    if (this.head === undefined) {
      const end = this.buffered.indexOf(HEAD_END);
      if (end < 0) return;
      try {
        this.head = parseHead(this.buffered.toString('latin1', 0, end), end + HEAD_END.length);
      } catch (err) {
        this.socket?.destroy(err as Error);
        return;
      }
    }
    const { status, bodyStart, length, close } = this.head;
    if (this.buffered.length < bodyStart + length) return;
    if (this.buffered.length > bodyStart + length) {
      this.socket?.destroy(new Error('the server sent more than one answer to one request'));
      return;
    }
    const body = this.buffered.toString('utf8', bodyStart, bodyStart + length);
    this.buffered = Buffer.alloc(0);
    this.head = undefined;
    const p = this.pending;
    this.pending = undefined;
    if (close) {
      // Answered, then closing: the next request opens a new connection.
      const s = this.socket;
      this.socket = undefined;
      s?.removeAllListeners('close').removeAllListeners('error').on('error', () => {});
      s?.destroy();
    }
    p?.resolve({ status, body });
  }
}

function parseHead(head: string, bodyStart: number): { status: number; bodyStart: number; length: number; close: boolean } {
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(lines[0].slice(0, 80))}`);
  let length: number | undefined;
  let close = false;
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    const name = lines[i].slice(0, colon).trim().toLowerCase();
    const value = lines[i].slice(colon + 1).trim();
    if (name === 'content-length') length = Number(value);
    else if (name === 'transfer-encoding') throw new Error(`answer framed by transfer-encoding ${value}: the raw client reads Content-Length only`);
    else if (name === 'connection' && value.toLowerCase() === 'close') close = true;
  }
  if (length === undefined || !Number.isSafeInteger(length) || length < 0) throw new Error('answer without a Content-Length');
  return { status: Number(m[1]), bodyStart, length, close };
}
