import Router from '@koa/router';
import { heketiDumpOf } from '../../app/heketi-import/dump';
import { importHeketi } from '../../app/heketi-import';
import { dumpDatabase } from '../../app/system';
import { DomainError } from '../../domain/errors';
import { readText } from '../body';
import { sendJson } from '../respond';
import type { HttpServices } from '../services';
import { presentOperation } from './system';

/** A Heketi database export can be large: 64 MiB holds well over 100,000 volumes. */
const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

function flag(value: unknown, name: string): boolean {
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === '' || value === 'true' || value === '1') return true;
  throw new DomainError('validation', `validation failed: ${name}: must be true or false`);
}

/** Brickyard's own records, field for field (the dump Brickyard answered before it spoke Heketi's). */
async function nativeDump(s: HttpServices) {
  const { clusters, nodes, devices, volumes, bricks, pending } = await dumpDatabase(s.app);
  const byId = <T extends { id: string }>(items: T[]) => Object.fromEntries(items.map((i) => [i.id, i]));
  return {
    clusterentries: byId(clusters),
    nodeentries: byId(nodes),
    deviceentries: byId(devices),
    volumeentries: byId(volumes),
    brickentries: byId(bricks),
    pendingoperations: byId(pending.map(presentOperation)),
  };
}

export function dbRoutes(r: Router, s: HttpServices): void {
  /** Heketi's document by default (heketi-cli db dump, tools reading it); `?format=brickyard` for the native one. */
  r.get('/db/dump', async (ctx) => {
    const format = ctx.query.format ?? 'heketi';
    if (format === 'brickyard') sendJson(ctx, 200, await nativeDump(s));
    else if (format === 'heketi') sendJson(ctx, 200, await heketiDumpOf(s.app));
    else throw new DomainError('validation', 'validation failed: format: must be heketi or brickyard');
  });

  /**
   * Imports a Heketi database export (the body). `merge=true` imports into a database that holds records,
   * refusing clashes; `verify=true` first checks every brick on its node with the configured executor.
   */
  r.post('/db/import', async (ctx) => {
    const merge = flag(ctx.query.merge, 'merge');
    const verify = flag(ctx.query.verify, 'verify');
    const text = await readText(ctx, MAX_IMPORT_BYTES);
    const report = await importHeketi(s.app, text, { merge, verify });
    sendJson(ctx, 200, report);
  });
}
