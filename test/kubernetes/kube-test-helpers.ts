import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { kubeExecSchema, type KubeExecConfig } from '../../src/config/schema';
import { loadKubeCredentials } from '../../src/executors/kubernetes/credentials';
import { KubernetesTransport, type KubernetesTransportOptions } from '../../src/executors/kubernetes/kube-transport';
import type { FakeKubeApiServer } from '../support/fake-kube-apiserver';

export const TOKEN = 'brickyard-test-token';
export const NAMESPACE = 'glusterfs';

/** A scratch directory removed by `cleanup`. */
export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'brickyard-kube-test-'));

  file(name: string, content: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, content);
    return path;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** kubeexec settings as heketi.json would give them, pointing at the fake server. */
export function settingsFor(fake: FakeKubeApiServer, scratch: Scratch, overrides: Partial<KubeExecConfig> = {}): KubeExecConfig {
  return kubeExecSchema.parse({
    host: fake.url,
    cert: fake.caCert ? scratch.file('ca.crt', fake.caCert) : '',
    token: TOKEN,
    namespace: NAMESPACE,
    ...overrides,
  });
}

/** Fast retries so tests stay quick; the no-service-account dir keeps the real one (if any) out of the way. */
export function transportFor(
  fake: FakeKubeApiServer,
  scratch: Scratch,
  overrides: Partial<KubeExecConfig> = {},
  options: KubernetesTransportOptions = {},
): KubernetesTransport {
  const credentials = loadKubeCredentials(settingsFor(fake, scratch, overrides), {
    serviceAccountDir: join(scratch.dir, 'no-service-account'),
    env: {},
  });
  return new KubernetesTransport(credentials, { retryDelayMs: 20, deadlineGraceMs: 2000, ...options });
}

/** Resolves to the rejection of `promise`, failing the test when it resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to be rejected, but it resolved');
}
