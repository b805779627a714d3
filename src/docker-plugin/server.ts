import { createConnection } from 'node:net';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { VolumeDriver } from './driver';
import { PluginError } from './errors';

/**
 * Docker's plugin protocol: HTTP POST of a JSON body to /Plugin.Activate or /VolumeDriver.<Method> over a unix
 * socket; every answer is JSON, with `Err` set to a message when the call failed.
 */
export const CONTENT_TYPE = 'application/vnd.docker.plugins.v1+json';
const MAX_BODY = 1 << 20;

type Body = Record<string, unknown>;
type Handler = (body: Body) => Promise<Body>;

export interface ProtocolLog {
  warn(message: string, fields?: Record<string, unknown>): void;
}

export function protocolHandlers(driver: VolumeDriver): Record<string, Handler> {
  return {
    '/Plugin.Activate': async () => ({ Implements: ['VolumeDriver'] }),
    '/VolumeDriver.Capabilities': async () => ({ Capabilities: { Scope: 'global' } }),
    '/VolumeDriver.Create': async (b) => (await driver.create(b.Name, b.Opts), { Err: '' }),
    '/VolumeDriver.Remove': async (b) => (await driver.remove(b.Name), { Err: '' }),
    '/VolumeDriver.Mount': async (b) => ({ Mountpoint: await driver.mount(b.Name, b.ID), Err: '' }),
    '/VolumeDriver.Unmount': async (b) => (await driver.unmount(b.Name, b.ID), { Err: '' }),
    '/VolumeDriver.Path': async (b) => ({ Mountpoint: await driver.path(b.Name), Err: '' }),
    '/VolumeDriver.Get': async (b) => ({ Volume: await driver.get(b.Name), Err: '' }),
    '/VolumeDriver.List': async () => ({ Volumes: await driver.list(), Err: '' }),
  };
}

function send(res: ServerResponse, status: number, body: Body): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new PluginError('request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '' || text === 'null') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PluginError('request body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new PluginError('request body must be a JSON object');
  return parsed as Body;
}

export function createPluginServer(driver: VolumeDriver, log: ProtocolLog): Server {
  const handlers = protocolHandlers(driver);
  return createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const handler = handlers[path];
    if (req.method !== 'POST') return send(res, 405, { Err: `${req.method} is not part of the plugin protocol; use POST` });
    if (!handler) return send(res, 404, { Err: `${path.slice(0, 80)} is not a method of the brickyard volume plugin` });
    readBody(req)
      .then(handler)
      .then(
        (body) => send(res, 200, body),
        (err: unknown) => {
          const known = err instanceof PluginError;
          const message = err instanceof Error ? err.message : String(err);
          if (!known) log.warn('unexpected failure', { method: path, error: (err as Error)?.stack ?? message });
          // Docker shows Err as it is; a 200 with Err is what its volume plugins answer for a failed call.
          send(res, 200, { Err: known ? message : `brickyard plugin: ${message}` });
        },
      );
  });
}

/** True when something accepts connections on the socket (another plugin instance). */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Listens on the unix socket; a stale socket file left by a crash is replaced, a live one is not. */
export async function listenOnSocket(server: Server, socketPath: string): Promise<void> {
  await mkdir(dirname(socketPath), { recursive: true });
  if (await socketAnswers(socketPath)) throw new PluginError(`another process already answers on ${socketPath}`);
  await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Only root (dockerd) talks to the plugin.
  await chmod(socketPath, 0o660);
}
