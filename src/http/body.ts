import type { Context } from 'koa';
import type { z } from 'zod';
import { HttpError } from './errors';
import { DomainError } from '../domain/errors';

const MAX_BODY_BYTES = 1024 * 1024;

async function readRaw(ctx: Context, maxBytes = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new HttpError(413, 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The raw body text (a document the caller parses itself), up to maxBytes (413 beyond). */
export function readText(ctx: Context, maxBytes: number): Promise<string> {
  return readRaw(ctx, maxBytes);
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
