import { PENDING_OPERATION_TYPES, type HeketiDocument } from './document';
import { ImportRefused } from './refusal';

/** Heketi's pending operations, listed; the import never takes a half-done operation. */
export function refusePendingOperations(doc: HeketiDocument): void {
  const ops = Object.entries(doc.pendingoperations);
  const marked: string[] = [];
  for (const kind of ['volumeentries', 'brickentries'] as const) {
    for (const [id, entry] of Object.entries(doc[kind] as Record<string, { Pending?: { Id?: unknown } }>)) {
      const op = entry?.Pending?.Id;
      if (typeof op === 'string' && op !== '') marked.push(`${kind}.${id} belongs to pending operation ${op}`);
    }
  }
  if (ops.length === 0 && marked.length === 0) return;
  const listed = ops.map(([id, op]) => {
    const type = typeof op?.Type === 'number' ? op.Type : 0;
    const targets = (Array.isArray(op?.Actions) ? op.Actions : []).map((a) => a?.Id).filter((a) => typeof a === 'string');
    const what = PENDING_OPERATION_TYPES[type] ?? 'unknown operation';
    return `pendingoperations.${id}: ${what} (type ${type})${targets.length > 0 ? ` on ${targets.join(', ')}` : ''}`;
  });
  throw new ImportRefused(
    [...listed, ...marked],
    'conflict',
    'Heketi import refused: the file holds pending operations; finish them or clean them up in Heketi (heketi-cli server operations cleanup) and export again',
  );
}
