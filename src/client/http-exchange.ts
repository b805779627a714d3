import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** How an https:// server is trusted: a CA bundle (PEM) instead of the system's, or no verification at all. */
export interface ClientTls {
  ca?: string | Buffer;
  /** Accept any certificate (heketi-cli's insecure switch): encryption without knowing who answers. */
  insecure?: boolean;
}

export interface Exchange {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  tls?: ClientTls;
}

export interface ExchangeResult {
  status: number;
  headers: Headers;
  text: string;
}

/** Transport failures carry the reason a person can act on (ECONNREFUSED, a certificate error, a timeout). */
export class ExchangeError extends Error {
  override name = 'ExchangeError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

function toHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

/** One HTTP(S) request and its whole answer; redirects are not followed (the queue protocol reads them). */
export function exchange(x: Exchange): Promise<ExchangeResult> {
  const url = new URL(x.url);
  const https = url.protocol === 'https:';
  const send = https ? httpsRequest : httpRequest;
  const tlsOptions = https ? { ca: x.tls?.ca, rejectUnauthorized: !x.tls?.insecure } : {};
  return new Promise((resolve, reject) => {
    const req = send(url, { method: x.method, headers: x.headers, ...tlsOptions }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: toHeaders(res.headers), text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', (err) => reject(new ExchangeError(err.message)));
    });
    req.setTimeout(x.timeoutMs, () => req.destroy(new ExchangeError(`no answer within ${x.timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof ExchangeError) return reject(err);
      const many = (err as { errors?: Array<NodeJS.ErrnoException> }).errors;
      reject(new ExchangeError(err.code ?? many?.[0]?.code ?? err.message));
    });
    if (x.body !== undefined) req.write(x.body);
    req.end();
  });
}
