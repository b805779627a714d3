import type { Context } from 'koa';

/** Heketi's bodies: errors as text ending in a newline, results as JSON. */
export function sendText(ctx: Context, status: number, message: string): void {
  ctx.status = status;
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = message.endsWith('\n') ? message : `${message}\n`;
}

export function sendJson(ctx: Context, status: number, body: unknown): void {
  ctx.status = status;
  ctx.type = 'application/json; charset=UTF-8';
  ctx.body = JSON.stringify(body);
}

/** 202 with the queue entry to poll. */
export function sendAccepted(ctx: Context, opId: string): void {
  ctx.status = 202;
  ctx.set('Location', `/queue/${opId}`);
  ctx.body = '';
}

export function sendSeeOther(ctx: Context, location: string): void {
  ctx.status = 303;
  ctx.set('Location', location);
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = `<a href="${location}">See Other</a>.\n`;
}
