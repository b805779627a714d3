import type { Context } from 'koa';
import type { z } from 'zod';
import { HttpError } from './errors';
import { DomainError } from '../domain/errors';

const MAX_BODY_BYTES = 1024 * 1024;
/**
 * An oversized body is read to its end and thrown away, so the 413 reaches the client and the next request on
 * the same keep-alive connection is answered. Past this much, reading on is not worth it: the 413 closes the
 * connection instead.
 */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

function tooLarge(ctx: Context, closing: boolean): HttpError {
  if (closing) {
    ctx.set('Connection', 'close');
    // what is still on its way is discarded until the connection closes after the answer
    ctx.req.resume();
  }
  return new HttpError(413, `request body too large (at most ${MAX_BODY_BYTES} bytes)`);
}

/**
 * The raw body. Read with events, not an async iterator: leaving an iterator early destroys the request, and
 * with it the socket, before the 413 is written.
 */
function readRaw(ctx: Context): Promise<string> {
  const declared = Number(ctx.get('Content-Length') || 0);
  if (declared > MAX_DRAIN_BYTES) return Promise.reject(tooLarge(ctx, true));
  const req = ctx.req;
  if (req.readableEnded) return Promise.resolve('');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_DRAIN_BYTES) {
        cleanup();
        reject(tooLarge(ctx, true));
      } else if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
      }
    };
    const onEnd = () => {
      cleanup();
      if (size > MAX_BODY_BYTES) reject(tooLarge(ctx, false));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onAborted = () => onError(new HttpError(400, 'request body incomplete'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/** Reads the JSON body: 422 when it does not parse, `{}` when empty and `optional`. */
export async function readJson(ctx: Context, optional = false): Promise<unknown> {
  const raw = await readRaw(ctx);
  if (raw.trim() === '') {
    if (optional) return {};
    throw new DomainError('unprocessable', 'request unable to be parsed');
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw new DomainError('unprocessable', 'request unable to be parsed');
  }
}

/** zod issues -> Heketi's `validation failed: field: reason` (the first problem; all of them are listed). */
export function validationMessage(error: z.ZodError): string {
  const problems = error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : 'body';
    return `${field}: ${issue.message}`;
  });
  return `validation failed: ${problems.join('; ')}`;
}

export async function readBody<T extends z.ZodType>(ctx: Context, schema: T, optional = false): Promise<z.output<T>> {
  const json = await readJson(ctx, optional);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new DomainError('validation', 'validation failed: body: must be a JSON object');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new DomainError('validation', validationMessage(parsed.error));
  return parsed.data;
}
