import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MockExecutor } from '../../src/executors/mock';
import type { HeketiDocument } from '../../src/app/heketi-import/document';

/** The export Heketi v10.4.1 made (shared/reference/heketi-export), kept as a fixture. */
export const REFERENCE_EXPORT_PATH = join(__dirname, '..', 'fixtures', 'heketi-export', 'heketi-v10-export.json');

export function referenceExportText(): string {
  return readFileSync(REFERENCE_EXPORT_PATH, 'utf8');
}

export function referenceExport(): HeketiDocument {
  return JSON.parse(referenceExportText()) as HeketiDocument;
}

/**
 * Puts on the MOCK nodes what a Heketi installation left there for this document: each device's volume group
 * vg_<device id>, each brick (thin pool, LV, mount) under Heketi's names, each gluster volume with its bricks,
 * so that after an import Brickyard finds the nodes as Heketi left them.
 */
export async function seedMockLikeHeketi(mock: MockExecutor, doc: HeketiDocument): Promise<void> {
  const manage = (nodeId: string) => doc.nodeentries[nodeId]!.Info.hostnames.manage[0]!;
  const storage = (nodeId: string) => doc.nodeentries[nodeId]!.Info.hostnames.storage[0]!;
  for (const d of Object.values(doc.deviceentries)) {
    await mock.deviceSetup(manage(d.NodeId), { id: d.Info.id, path: d.Info.name, destroyData: false });
  }
  for (const v of Object.values(doc.volumeentries)) {
    for (const id of v.Bricks) {
      const b = doc.brickentries[id]!;
      await mock.brickCreate(manage(b.Info.node), {
        id,
        deviceId: b.Info.device,
        sizeKib: b.Info.size,
        tpSizeKib: b.TpSize,
        poolMetadataKib: b.PoolMetadataSize,
        gid: v.Info.gid ?? 0,
        arbiter: b.SubType === 2,
      });
    }
    const first = doc.brickentries[v.Bricks[0]!]!;
    await mock.volumeCreate(manage(first.Info.node), {
      name: v.Info.name,
      durability: { type: 'none' },
      arbiter: false,
      bricks: v.Bricks.map((id) => ({ host: storage(doc.brickentries[id]!.Info.node), path: doc.brickentries[id]!.Info.path })),
      options: [],
    });
  }
}
