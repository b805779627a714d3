import type { Knex } from 'knex';

/**
 * Times every query the server sends (knex 'query' / 'query-response' / 'query-error' events), grouped by
 * statement shape, so a level can show which statements grow with the number of volumes.
 */
export class QueryStats {
  private readonly started = new Map<string, { sql: string; at: number }>();
  private readonly bySql = new Map<string, { count: number; ms: number }>();
  private readonly onQuery = (q: { __knexQueryUid: string; sql: string }) => {
    this.started.set(q.__knexQueryUid, { sql: shape(q.sql), at: performance.now() });
  };
  private readonly onDone = (_: unknown, q: { __knexQueryUid: string }) => {
    const s = this.started.get(q.__knexQueryUid);
    if (!s) return;
    this.started.delete(q.__knexQueryUid);
    const entry = this.bySql.get(s.sql) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += performance.now() - s.at;
    this.bySql.set(s.sql, entry);
  };

  constructor(private readonly db: Knex) {
    db.on('query', this.onQuery);
    db.on('query-response', this.onDone);
    db.on('query-error', this.onDone);
  }

  reset(): void {
    this.bySql.clear();
  }

  stop(): void {
    this.db.off('query', this.onQuery);
    this.db.off('query-response', this.onDone);
    this.db.off('query-error', this.onDone);
  }

  /** The statements taking the most time, per `per` operations. */
  top(per: number, limit = 6): Array<{ sql: string; count: number; ms: number }> {
    return [...this.bySql.entries()]
      .map(([sql, e]) => ({ sql, count: e.count / per, ms: e.ms / per }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, limit);
  }

  totals(per: number): { count: number; ms: number } {
    let count = 0;
    let ms = 0;
    for (const e of this.bySql.values()) {
      count += e.count;
      ms += e.ms;
    }
    return { count: count / per, ms: ms / per };
  }
}

/** Statement text without the values' placeholders' number: `in ($1, $2, $3)` and `in ($1)` group together. */
function shape(sql: string): string {
  return sql.replace(/\(\$\d+(, \$\d+)*\)/g, '(...)').replace(/\s+/g, ' ').slice(0, 110);
}
