import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { csiServices } from '../../src/csi/proto';

/** A CSI client over a real unix socket, as a sidecar or kubelet would connect. */
export interface CsiClient {
  call<T = any>(service: 'Identity' | 'Controller' | 'Node', method: string, request?: object): Promise<T>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Resolves to the gRPC error of a call that fails (and fails the test when the call succeeds). */
  fail(service: 'Identity' | 'Controller' | 'Node', method: string, request?: object): Promise<grpc.ServiceError>;
  close(): void;
}

export function csiClient(endpoint: string): CsiClient {
  const defs = csiServices();
  const clients = {
    Identity: new defs.Identity(endpoint, grpc.credentials.createInsecure()),
    Controller: new defs.Controller(endpoint, grpc.credentials.createInsecure()),
    Node: new defs.Node(endpoint, grpc.credentials.createInsecure()),
  };
  const call = (service: keyof typeof clients, method: string, request: object = {}) =>
    new Promise<any>((resolve, reject) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const client = clients[service] as unknown as Record<string, Function>; // eslint-disable-line @typescript-eslint/no-unsafe-function-type
      const fn = client[method];
      if (!fn) throw new Error(`no method ${service}.${method}`);
      fn.call(client, request, { deadline: Date.now() + 120_000 }, (err: grpc.ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res)));
    });
  return {
    call,
    async fail(service, method, request = {}) {
      try {
        const res = await call(service, method, request);
        throw new Error(`${service}.${method} succeeded: ${JSON.stringify(res)}`);
      } catch (err) {
        if ((err as grpc.ServiceError).code === undefined) throw err;
        return err as grpc.ServiceError;
      }
    },
    close() {
      for (const c of Object.values(clients)) c.close();
    },
  };
}

/** A private directory for a test's socket and mount points. */
export function scratchDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const MOUNT_CAP = { mount: {}, access_mode: { mode: 'MULTI_NODE_MULTI_WRITER' } };
export const GIB = 1024 ** 3;
export { grpc };
