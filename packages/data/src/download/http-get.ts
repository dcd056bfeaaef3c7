import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';

/** The part of an HTTP response the downloader uses; `body` must be consumed or destroyed. */
export interface HttpResponse {
  status: number;
  statusText: string;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: AsyncIterable<Uint8Array>;
  /** Drops the connection (a redirect or an error answer whose body is not wanted). */
  destroy(): void;
}

export interface HttpRequest {
  headers: Record<string, string>;
  /** Aborting destroys the connection; a body being read then throws. */
  signal: AbortSignal;
}

/** One GET without following redirects (the downloader follows them itself, bounded). */
export type HttpGet = (url: string, request: HttpRequest) => Promise<HttpResponse>;

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** GET over node:http or node:https, whichever the URL names. */
export const nodeHttpGet: HttpGet = (url, request) =>
  new Promise<HttpResponse>((resolvePromise, reject) => {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      reject(new Error(`unsupported protocol ${parsed.protocol} (only http and https)`));
      return;
    }
    const get = parsed.protocol === 'https:' ? httpsGet : httpGet;
    // Identity encoding: byte offsets for Range and the checksum refer to the file itself.
    const req = get(parsed, { headers: { 'accept-encoding': 'identity', ...request.headers }, signal: request.signal }, (res: IncomingMessage) => {
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(res.headers)) headers[name.toLowerCase()] = headerValue(value);
      resolvePromise({
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? '',
        headers,
        body: res,
        destroy: () => res.destroy(),
      });
    });
    req.on('error', reject);
  });
