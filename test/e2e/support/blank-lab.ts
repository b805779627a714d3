import { join } from 'node:path';
import type { HeketiClient, Json } from '../../../src/client/heketi-client';
import { REPO_ROOT, runLocal } from './lab';
import { glusterPool, glusterVolumeNames, nodeState } from './node-state';

/**
 * Every end-to-end suite starts on blank nodes and leaves them blank for the next one: these are the checks
 * and the clean-up they share.
 */
export interface NamedNode {
  name: string;
  ip: string;
}

/** Throws, naming each leftover, unless no node holds a VG, LV, brick mount, fstab line, brick directory, peer or volume. */
export async function assertLabBlank(nodes: NamedNode[]): Promise<void> {
  for (const n of nodes) {
    const state = await nodeState(n.ip);
    const leftovers = [
      ...state.vgs.map((g) => `volume group ${g.vg}`),
      ...state.lvs.map((l) => `LV ${l.vg}/${l.lv}`),
      ...state.mounts.map((m) => `mount ${m.dir}`),
      ...state.fstab.map((l) => `fstab: ${l}`),
      ...state.dirs.map((d) => `directory ${d}`),
      ...Object.keys(await glusterPool(n.ip))
        .filter((h) => h !== 'localhost')
        .map((h) => `gluster peer ${h}`),
      ...(await glusterVolumeNames(n.ip)).map((v) => `gluster volume ${v}`),
    ];
    if (leftovers.length > 0) {
      throw new Error(`${n.name} (${n.ip}) is not a blank node: ${leftovers.join('; ')}. Run \`bash lab/reset.sh\` (or lab:down + lab:up).`);
    }
  }
}

/** Volumes, then devices (offline -> failed -> delete), nodes and clusters, all through the API. */
export async function teardownThroughApi(c: HeketiClient): Promise<void> {
  for (const id of (await c.volumeList()).volumes as string[]) await c.volumeDelete(id);
  for (const cid of (await c.clusterList()).clusters as string[]) {
    for (const nid of (await c.clusterInfo(cid)).nodes as string[]) {
      for (const d of (await c.nodeInfo(nid)).devices as Json[]) {
        if (d.state === 'online') await c.deviceState(d.id, 'offline');
        if (d.state !== 'failed') await c.deviceState(d.id, 'failed');
        await c.deviceDelete(d.id);
      }
      await c.nodeDelete(nid);
    }
    await c.clusterDelete(cid);
  }
}

/** For afterAll: whatever a failed test left on the nodes is removed (lab/reset.sh), so the next suite can run. */
export async function leaveLabBlank(nodes: NamedNode[], suite: string): Promise<void> {
  try {
    await assertLabBlank(nodes);
  } catch (err) {
    process.stderr.write(`${suite} cleanup: ${(err as Error).message}\nrunning lab/reset.sh\n`);
    const r = await runLocal('bash', [join(REPO_ROOT, 'lab/reset.sh')], { timeoutMs: 180_000 });
    process.stderr.write(r.stdout + r.stderr);
  }
}
