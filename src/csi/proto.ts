import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The package root (where package.json is), from src/csi or dist/src/csi alike. */
function packageRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'csi', 'proto', 'csi.proto'))) return dir;
  }
  throw new Error(`csi.proto not found above ${__dirname}`);
}

export const PROTO_FILE = join(packageRoot(), 'src', 'csi', 'proto', 'csi.proto');

/**
 * int64 as strings (exact; converted with BigInt where they are read), enums as their names, empty fields
 * present with their defaults (the spec treats an unset field and its zero value alike), oneofs named.
 */
const LOAD_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

export interface CsiServices {
  Identity: grpc.ServiceClientConstructor;
  Controller: grpc.ServiceClientConstructor;
  Node: grpc.ServiceClientConstructor;
}

let cached: CsiServices | undefined;

/** The three CSI v1 services (server definitions and client constructors). */
export function csiServices(): CsiServices {
  if (!cached) {
    const definition = protoLoader.loadSync(PROTO_FILE, LOAD_OPTIONS);
    const pkg = grpc.loadPackageDefinition(definition) as unknown as { csi: { v1: CsiServices } };
    cached = pkg.csi.v1;
  }
  return cached;
}
