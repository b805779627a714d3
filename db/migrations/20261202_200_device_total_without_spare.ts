import type { Knex } from 'knex';

/**
 * Device figures as an operator reads them: the allowance held back for LVM's pool metadata spare leaves
 * `total` instead of sitting in `used`, so an empty device shows used 0 and total = free + used still holds.
 * The arithmetic is copied here (not imported) so this migration keeps meaning what it meant when it landed.
 */
const MAX_POOL_METADATA_KIB = 16 * 1024 * 1024;

function roundUpTo(n: number, step: number): number {
  return Math.ceil(n / step) * step;
}

function allowanceKib(totalKib: number, extentKib: number): number {
  const pool = roundUpTo(totalKib, extentKib);
  return roundUpTo(Math.min(Math.ceil(pool * 0.005), MAX_POOL_METADATA_KIB), extentKib);
}

interface Row {
  id: string;
  total_kib: string | number;
  free_kib: string | number;
  extent_kib: number;
}

async function rewrite(knex: Knex, newTotal: (total: number, extent: number) => number): Promise<void> {
  const rows: Row[] = await knex('devices').select('id', 'total_kib', 'free_kib', 'extent_kib').where('total_kib', '>', 0);
  for (const r of rows) {
    const total = newTotal(Number(r.total_kib), r.extent_kib);
    const free = Math.min(Number(r.free_kib), total);
    await knex('devices').where({ id: r.id }).update({ total_kib: total, free_kib: free, used_kib: total - free });
  }
}

export async function up(knex: Knex): Promise<void> {
  await rewrite(knex, (total, extent) => Math.max(0, total - allowanceKib(total, extent)));
}

/** Back to the whole volume group as total: the original total is the one whose allowance leads here. */
export async function down(knex: Knex): Promise<void> {
  await rewrite(knex, (reduced, extent) => {
    for (let a = allowanceKib(reduced, extent); a <= MAX_POOL_METADATA_KIB + extent; a += extent) {
      if (allowanceKib(reduced + a, extent) === a) return reduced + a;
    }
    return reduced;
  });
}
