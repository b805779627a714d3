import type { AppContext } from '../context';
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import type { StorageExecutor } from '../../executors/types';
import {
  countTopology,
  findImportClashes,
  findImportRecord,
  insertImported,
  lockTopologyForImport,
  recordImport,
  writeHeketiAttributes,
} from '../../db/repositories/import';
import { DB_GENERATION_ID, HEKETI_DB_FLAGS } from './document';
import { planImport, type DeviceDrift } from './plan';
import { ImportRefused } from './refusal';
import { parseHeketiText, validateHeketiDocument } from './validate';
import { verifyBricks, type VerifyReport } from './verify';

export { ImportRefused } from './refusal';

export interface ImportOptions {
  /** Into a database that already holds records: refused on any id, volume name or hostname clash. */
  merge?: boolean;
  /** Checks every brick on its node before anything is written; any difference refuses the import. */
  verifyWith?: StorageExecutor;
}

export interface ImportReport {
  /** false: this very file was imported before, and nothing was written now. */
  changed: boolean;
  message: string;
  mode: 'empty' | 'merge';
  digest: string;
  counts: { clusters: number; nodes: number; devices: number; volumes: number; bricks: number };
  /** Devices whose free/used figures in the file differ from what their bricks hold. */
  drift: DeviceDrift[];
  spare_allowance_kib: number;
  verify?: VerifyReport;
  imported_at?: string;
  elapsed_ms: number;
}

/** The same document always gives the same digest, whatever its key order or spacing. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Imports a document made by `heketi db export` or Heketi's `GET /db/dump`: checked whole first, then written
 * in one transaction with the same ids, or not at all. A second run of the same file writes nothing and
 * says so.
 */
export async function importHeketiDocument(db: Knex, input: string | unknown, options: ImportOptions = {}): Promise<ImportReport> {
  const started = performance.now();
  const raw = typeof input === 'string' ? parseHeketiText(input) : input;
  const doc = validateHeketiDocument(raw);
  const plan = planImport(doc);
  const digest = createHash('sha256').update(canonical(raw)).digest('hex');
  const mode = options.merge ? 'merge' : 'empty';
  const counts = {
    clusters: plan.clusters.length,
    nodes: plan.nodes.length,
    devices: plan.devices.length,
    volumes: plan.volumes.length,
    bricks: plan.bricks.length,
  };
  const verify = options.verifyWith ? await verifyBricks(options.verifyWith, plan.nodes, plan.volumes, plan.bricks) : undefined;
  const report = (changed: boolean, message: string, importedAt?: string): ImportReport => ({
    changed,
    message,
    mode,
    digest,
    counts,
    drift: plan.drift,
    spare_allowance_kib: plan.spareAllowanceKib,
    ...(verify ? { verify } : {}),
    ...(importedAt ? { imported_at: importedAt } : {}),
    elapsed_ms: Math.round(performance.now() - started),
  });

  return db.transaction(async (trx) => {
    await lockTopologyForImport(trx);
    const before = await findImportRecord(trx, digest);
    if (before) {
      return report(false, `this file was already imported at ${before.importedAt}; nothing changed`, before.importedAt);
    }
    if (verify && verify.differences.length > 0) {
      throw new ImportRefused(verify.differences, 'conflict', 'Heketi import refused: --verify found bricks that are not as the file says');
    }
    if (!options.merge) {
      const present = await countTopology(trx);
      const held = Object.entries(present).filter(([, n]) => n > 0);
      if (held.length > 0) {
        throw new ImportRefused(
          [`the database already holds ${held.map(([k, n]) => `${n} ${k}`).join(', ')}`],
          'conflict',
          'Heketi import refused: the database is not empty; import into an empty database or merge explicitly (merge=true, --merge)',
        );
      }
    } else {
      const clashes = await findImportClashes(trx, plan);
      if (clashes.length > 0) throw new ImportRefused(clashes, 'conflict', 'Heketi import refused: the merge clashes with the database');
    }
    await insertImported(trx, plan);
    // Heketi's flags are always answered as set; an import into an empty database takes the file's identity.
    const attributes = Object.fromEntries(
      Object.entries(plan.attributes).filter(([k]) => !(HEKETI_DB_FLAGS as readonly string[]).includes(k) && (!options.merge || k !== DB_GENERATION_ID)),
    );
    await writeHeketiAttributes(trx, attributes);
    const done = report(
      true,
      `imported ${counts.clusters} clusters, ${counts.nodes} nodes, ${counts.devices} devices, ${counts.volumes} volumes, ${counts.bricks} bricks` +
        (plan.drift.length > 0 ? `; ${plan.drift.length} devices drifted from their bricks (recomputed figures recorded)` : '; no drift'),
    );
    await recordImport(trx, digest, done);
    return done;
  });
}

/** The import as the API runs it: this server's database, and its executor when `verify` is asked. */
export function importHeketi(ctx: AppContext, input: string, options: { merge: boolean; verify: boolean }): Promise<ImportReport> {
  return importHeketiDocument(ctx.db, input, { merge: options.merge, verifyWith: options.verify ? ctx.executor : undefined });
}
