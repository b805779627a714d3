import type { Knex } from 'knex';
import type { Initiator, OperationPhase, OperationRecord, OperationState } from '../../domain/operation';

interface OperationRow {
  id: string;
  kind: string;
  state: OperationState;
  phase: OperationPhase;
  initiator: Initiator;
  target_id: string | null;
  result_path: string | null;
  error: string | null;
  payload: Record<string, unknown>;
  cleanup_pending: boolean;
  attempts: number;
  owner: string | null;
  generation: number;
  lease_expires_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
  finished_at: Date | string | null;
}

const date = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));

const toOperation = (r: OperationRow): OperationRecord => ({
  id: r.id,
  kind: r.kind,
  state: r.state,
  phase: r.phase,
  initiator: r.initiator,
  targetId: r.target_id,
  resultPath: r.result_path,
  error: r.error,
  payload: r.payload ?? {},
  cleanupPending: r.cleanup_pending,
  attempts: r.attempts,
  owner: r.owner,
  generation: r.generation ?? 0,
  leaseExpiresAt: date(r.lease_expires_at),
  createdAt: date(r.created_at)!,
  updatedAt: date(r.updated_at)!,
  finishedAt: date(r.finished_at),
});

export interface NewOperation {
  id: string;
  kind: string;
  initiator: Initiator;
  targetId: string | null;
  payload: unknown;
  owner: string;
  leaseSeconds: number;
  /** An operation that needs no remote work is recorded already finished. */
  state?: OperationState;
  resultPath?: string | null;
}

export async function insertOperation(db: Knex, op: NewOperation): Promise<void> {
  const finished = op.state === 'succeeded' || op.state === 'failed';
  await db('operations').insert({
    id: op.id,
    kind: op.kind,
    state: op.state ?? 'pending',
    phase: finished ? 'done' : 'build',
    initiator: op.initiator,
    target_id: op.targetId,
    result_path: op.resultPath ?? null,
    payload: JSON.stringify(op.payload),
    owner: finished ? null : op.owner,
    lease_expires_at: finished ? null : db.raw(`now() + make_interval(secs => ?)`, [op.leaseSeconds]),
    finished_at: finished ? db.fn.now() : null,
  });
}

export async function findOperation(db: Knex, id: string, forUpdate = false): Promise<OperationRecord | undefined> {
  const q = db<OperationRow>('operations').where({ id }).first();
  const row = await (forUpdate ? q.forUpdate() : q);
  return row ? toOperation(row) : undefined;
}

/** The unfinished operation working on this entity (running, or failed with its undo still pending), if any. */
export async function findActiveOperationFor(db: Knex, targetId: string): Promise<OperationRecord | undefined> {
  const row = await db<OperationRow>('operations')
    .where({ target_id: targetId })
    .where((q) => q.whereIn('state', ['pending', 'running']).orWhere({ cleanup_pending: true }))
    .orderBy('created_at', 'desc')
    .first();
  return row ? toOperation(row) : undefined;
}

export type OperationChanges = Partial<{
  state: OperationState;
  phase: OperationPhase;
  resultPath: string | null;
  error: string | null;
  payload: unknown;
  cleanupPending: boolean;
  /** null hands the operation back: recovery claims it once its lease lapses. */
  owner: null;
}>;

/** Who holds an operation, as the runner knows it. */
export interface Holder {
  owner: string;
  generation: number;
}

/**
 * The fence: locks the operation's row if this holder still owns it at this generation. Every write an
 * operation makes runs in a transaction that calls this first; false means another server took it over.
 */
export async function lockHeldOperation(trx: Knex.Transaction, id: string, holder: Holder): Promise<boolean> {
  const row = await trx('operations')
    .where({ id, owner: holder.owner, generation: holder.generation })
    .first('id')
    .forUpdate();
  return Boolean(row);
}

/**
 * Changes a held operation's record if this holder still owns it at this generation (false: it does not).
 * Inside a transaction that locked the fence (lockHeldOperation), or alone as a single fenced statement.
 */
export async function updateHeldOperation(
  trx: Knex,
  id: string,
  holder: Holder,
  changes: OperationChanges,
): Promise<boolean> {
  const row: Record<string, unknown> = { updated_at: trx.fn.now() };
  if (changes.state !== undefined) row.state = changes.state;
  if (changes.phase !== undefined) row.phase = changes.phase;
  if (changes.resultPath !== undefined) row.result_path = changes.resultPath;
  if (changes.error !== undefined) row.error = changes.error;
  if (changes.payload !== undefined) row.payload = JSON.stringify(changes.payload);
  if (changes.cleanupPending !== undefined) row.cleanup_pending = changes.cleanupPending;
  if (changes.owner === null) row.owner = null;
  if (changes.state === 'succeeded' || changes.state === 'failed') {
    row.finished_at = trx.fn.now();
    if (!changes.cleanupPending) {
      row.owner = null;
      row.lease_expires_at = null;
    }
  }
  // returning(): knex-pglite does not turn an update's result into a row count
  const rows = await trx('operations')
    .where({ id, owner: holder.owner, generation: holder.generation })
    .update(row)
    .returning('id');
  return rows.length === 1;
}

/**
 * Moves a recorded operation from pending to running for this owner, if nobody has yet, raising its
 * generation. An operation can be handed to a runner more than once (a retried request gets the queue entry
 * of the one still in flight, on this replica or another): only the first to take it runs it.
 */
export async function takePending(
  db: Knex,
  id: string,
  owner: string,
  leaseSeconds: number,
): Promise<OperationRecord | undefined> {
  const [row] = await db<OperationRow>('operations')
    .where({ id, state: 'pending' })
    .update({
      state: 'running',
      phase: 'exec',
      owner,
      generation: db.raw('generation + 1'),
      lease_expires_at: db.raw(`now() + make_interval(secs => ?)`, [leaseSeconds]),
      updated_at: db.fn.now(),
    })
    .returning('*');
  return row ? toOperation(row as OperationRow) : undefined;
}

/**
 * Extends the leases of the operations this process holds, each at the generation it holds it. Returns the
 * ids renewed: an operation missing from the answer was taken over (or finished) and must not be written.
 */
export async function renewLeases(
  db: Knex,
  owner: string,
  held: { id: string; generation: number }[],
  leaseSeconds: number,
): Promise<Set<string>> {
  if (held.length === 0) return new Set();
  const rows = await db('operations')
    .where({ owner })
    .whereIn(
      ['id', 'generation'],
      held.map((h) => [h.id, h.generation]),
    )
    .update({ lease_expires_at: db.raw(`now() + make_interval(secs => ?)`, [leaseSeconds]) })
    .returning('id');
  return new Set(rows.map((r: { id: string }) => r.id));
}

/**
 * Takes over operations whose owner stopped renewing their lease (crash, kill -9, a stalled replica), or
 * failed operations whose undo must be retried, raising their generation so the old owner is fenced off.
 * SKIP LOCKED lets several replicas share the work without waiting.
 */
export async function claimAbandoned(
  trx: Knex.Transaction,
  owner: string,
  leaseSeconds: number,
  limit: number,
): Promise<OperationRecord[]> {
  const rows = await trx<OperationRow>('operations')
    .where((q) => q.whereIn('state', ['pending', 'running']).orWhere({ cleanup_pending: true }))
    .where((q) => q.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', trx.fn.now()))
    .orderBy('created_at')
    .limit(limit)
    .forUpdate()
    .skipLocked();
  if (rows.length === 0) return [];
  const claimed = await trx<OperationRow>('operations')
    .whereIn(
      'id',
      rows.map((r) => r.id),
    )
    .update({
      owner,
      attempts: trx.raw('attempts + 1'),
      generation: trx.raw('generation + 1'),
      lease_expires_at: trx.raw(`now() + make_interval(secs => ?)`, [leaseSeconds]),
      updated_at: trx.fn.now(),
    })
    .returning('*');
  return (claimed as OperationRow[]).map(toOperation).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/** Targets of operations still working on them: pending, running, or failed with cleanup to do. */
export async function listActiveOperationTargets(db: Knex): Promise<Array<string | null>> {
  const rows = await db('operations')
    .where((q) => q.whereIn('state', ['pending', 'running']).orWhere({ cleanup_pending: true }))
    .select('target_id');
  return rows.map((r: { target_id: string | null }) => r.target_id);
}

export async function listOperations(
  db: Knex,
  filter: { states?: OperationState[]; limit?: number } = {},
): Promise<OperationRecord[]> {
  const q = db<OperationRow>('operations').select('*').orderBy('created_at', 'desc').limit(filter.limit ?? 1000);
  if (filter.states) q.whereIn('state', filter.states);
  return (await q).map(toOperation);
}

export async function countOperations(db: Knex): Promise<{
  total: number;
  pending: number;
  running: number;
  failed: number;
  stale: number;
  cleanup: number;
}> {
  const row = await db('operations')
    .select(
      db.raw('count(*) as total'),
      db.raw(`count(*) filter (where state = 'pending') as pending`),
      db.raw(`count(*) filter (where state = 'running') as running`),
      db.raw(`count(*) filter (where state = 'failed') as failed`),
      db.raw(
        `count(*) filter (where (state in ('pending','running') or cleanup_pending) and lease_expires_at < now()) as stale`,
      ),
      db.raw('count(*) filter (where cleanup_pending) as cleanup'),
    )
    .first();
  return {
    total: Number(row.total),
    pending: Number(row.pending),
    running: Number(row.running),
    failed: Number(row.failed),
    stale: Number(row.stale),
    cleanup: Number(row.cleanup),
  };
}

/** Forgets finished operations older than the retention (their queue entries then answer 404, as in Heketi). */
export async function pruneFinished(db: Knex, olderThanHours: number): Promise<number> {
  // returning(): knex-pglite does not turn a delete's result into a row count
  const gone = await db('operations')
    .whereIn('state', ['succeeded', 'failed'])
    .where({ cleanup_pending: false })
    .where('finished_at', '<', db.raw(`now() - make_interval(hours => ?)`, [olderThanHours]))
    .delete()
    .returning('id');
  return gone.length;
}
