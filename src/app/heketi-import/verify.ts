import type { Brick, StorageNode, Volume } from '../../domain/model';
import type { BrickCheck, StorageExecutor } from '../../executors/types';
import { brickSpec } from '../volume-specs';

export interface VerifyReport {
  nodes: number;
  bricks: number;
  /** One line per brick (or node) that is not as the records say; empty when everything was found. */
  differences: string[];
}

const PARTS: Array<[keyof BrickCheck, string]> = [
  ['lv', 'thin LV'],
  ['thinPool', 'thin pool'],
  ['mounted', 'mount'],
  ['fstab', 'fstab line'],
];

/**
 * Looks on every node for each brick's LV, thin pool, mount and fstab line (changing nothing): nodes in
 * parallel, one brick after another on a node. An unreachable node is a difference for all its bricks.
 */
export async function verifyBricks(
  executor: StorageExecutor,
  nodes: StorageNode[],
  volumes: Volume[],
  bricks: Brick[],
): Promise<VerifyReport> {
  const gidOf = new Map(volumes.map((v) => [v.id, v.gid]));
  const differences: string[] = [];
  const used = nodes.filter((n) => bricks.some((b) => b.nodeId === n.id));
  await Promise.all(
    used.map(async (node) => {
      const host = node.manageHostnames[0]!;
      for (const brick of bricks.filter((b) => b.nodeId === node.id)) {
        try {
          const found = await executor.brickCheck(host, brickSpec(brick, { gid: gidOf.get(brick.volumeId) ?? 0 }));
          const missing = PARTS.filter(([key]) => !found[key]).map(([, what]) => what);
          if (missing.length > 0) differences.push(`brick ${brick.id} on ${host}: no ${missing.join(', no ')}`);
        } catch (err) {
          differences.push(`brick ${brick.id} on ${host}: could not be checked: ${(err as Error).message}`);
        }
      }
    }),
  );
  return { nodes: used.length, bricks: bricks.length, differences: differences.sort() };
}
