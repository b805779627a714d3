import { existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { CsiError } from './errors';
import { csiServices } from './proto';

type Service = Record<string, (request: any) => Promise<unknown>>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Turns an async handler into a gRPC unary handler: CsiErrors keep their code, anything else is INTERNAL. */
function unary(method: string, fn: (request: unknown) => Promise<unknown>, log: Logger): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const started = process.hrtime.bigint();
    const ms = () => Number((process.hrtime.bigint() - started) / 1_000_000n);
    fn(call.request).then(
      (response) => {
        log.info({ method, ms: ms() }, `${method} ok`);
        callback(null, response);
      },
      (err: unknown) => {
        const e = err instanceof CsiError ? err : new CsiError(grpc.status.INTERNAL, (err as Error)?.message ?? String(err));
        log.warn({ method, ms: ms(), code: grpc.status[e.code] }, `${method}: ${e.message}`);
        callback({ code: e.code, details: e.message, name: 'CsiError', message: e.message });
      },
    );
  };
}

function implementation(service: Service, log: Logger): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [method, fn] of Object.entries(service)) impl[method] = unary(method, fn.bind(service), log);
  return impl;
}

export interface CsiServerServices {
  identity: Service;
  controller?: Service;
  node?: Service;
}

/** `unix:///csi/csi.sock` or `unix:/csi/csi.sock` -> the socket path (only unix endpoints make sense for CSI). */
export function socketPath(endpoint: string): string {
  const m = /^unix:\/\/(\/.+)$/.exec(endpoint) ?? /^unix:(\/.+)$/.exec(endpoint);
  if (!m) throw new Error(`endpoint "${endpoint}" must be unix:///absolute/path.sock`);
  return m[1]!;
}

export interface RunningCsiServer {
  endpoint: string;
  server: grpc.Server;
  close(graceMs?: number): Promise<void>;
}

/** Serves the services on a unix socket; a socket file left by a previous run is replaced. */
export async function startCsiServer(endpoint: string, services: CsiServerServices, log: Logger): Promise<RunningCsiServer> {
  const path = socketPath(endpoint);
  mkdirSync(dirname(path), { recursive: true });
  if (existsSync(path) && lstatSync(path).isSocket()) unlinkSync(path);
  const defs = csiServices();
  const server = new grpc.Server();
  server.addService(defs.Identity.service, implementation(services.identity, log));
  if (services.controller) server.addService(defs.Controller.service, implementation(services.controller, log));
  if (services.node) server.addService(defs.Node.service, implementation(services.node, log));
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix://${path}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve()));
  });
  return {
    endpoint: `unix://${path}`,
    server,
    close(graceMs = 5000) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }).finally(() => {
        if (existsSync(path)) unlinkSync(path);
      });
    },
  };
}
