import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
}

export type Route = (req: IncomingMessage, res: ServerResponse, count: number) => void;

/** A test HTTP server on 127.0.0.1 (port 0) that records every request. */
export class TestServer {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Route>();
  private readonly counts = new Map<string, number>();
  private constructor(
    private readonly server: Server,
    readonly base: string,
  ) {}

  static async start(): Promise<TestServer> {
    let self: TestServer | undefined;
    const server = createServer((req, res) => self?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new TestServer(server, `http://127.0.0.1:${port}`);
    return self;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  route(path: string, handler: Route): void {
    this.routes.set(path, handler);
    this.counts.set(path, 0);
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    this.requests.push({ path, headers: req.headers });
    const handler = this.routes.get(path);
    if (handler === undefined) {
      res.writeHead(404, 'Not Found', { 'content-type': 'text/plain' });
      res.end('no such file');
      return;
    }
    const count = (this.counts.get(path) ?? 0) + 1;
    this.counts.set(path, count);
    handler(req, res, count);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** `bytes=N-` of a Range header, or null. */
export function rangeStart(req: IncomingMessage): number | null {
  const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  return match === null ? null : Number(match[1]);
}

/**
 * Serves `data` the way a static file server does: Range with 206, ETag, If-Range. With `cut`,
 * each response announces its full length but the connection drops after `cut` bytes.
 */
export function serveFile(data: Buffer, etag = '"v1"', cut?: number): Route {
  const send = (res: ServerResponse, body: Buffer): void => {
    if (cut === undefined || cut >= body.length) {
      res.end(body);
      return;
    }
    res.write(body.subarray(0, cut), () => {
      setTimeout(() => res.socket?.destroy(), 20);
    });
  };
  return (req, res) => {
    const start = rangeStart(req);
    const ifRange = req.headers['if-range'];
    const rangeApplies = start !== null && (ifRange === undefined || ifRange === etag);
    if (rangeApplies && start >= data.length) {
      res.writeHead(416, { 'content-range': `bytes */${data.length}` });
      res.end();
      return;
    }
    if (rangeApplies) {
      res.writeHead(206, { 'content-length': data.length - start, 'content-range': `bytes ${start}-${data.length - 1}/${data.length}`, etag });
      send(res, data.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': data.length, etag, 'accept-ranges': 'bytes' });
    send(res, data);
  };
}

/** Announces the whole length, sends the first `cut` bytes, then drops the connection. */
export function serveTruncated(data: Buffer, cut: number, etag = '"v1"'): Route {
  return (_req, res) => {
    res.writeHead(200, { 'content-length': data.length, etag });
    res.write(data.subarray(0, cut), () => {
      // Let the bytes reach the client before the connection is cut.
      setTimeout(() => res.socket?.destroy(), 20);
    });
  };
}
