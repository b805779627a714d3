import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Wall-clock figures of the suite, written where lab/run-e2e.sh prints them from. */
export class Timings {
  private readonly entries: Array<[string, number]> = [];

  async time<T>(name: string, work: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    try {
      return await work();
    } finally {
      this.entries.push([name, Number(process.hrtime.bigint() - start) / 1e9]);
    }
  }

  lines(): string[] {
    return this.entries.map(([name, s]) => `${s.toFixed(1).padStart(7)} s  ${name}`);
  }

  write(file: string): void {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${this.lines().join('\n')}\n`);
  }
}
