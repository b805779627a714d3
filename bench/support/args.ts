import { loadavg } from 'node:os';

/**
 * Flags of the form --name=value (or --flag for true). Unknown flags are an error so a typo never runs a
 * benchmark with silently different settings.
 */
export type Flags = Record<string, string>;

export function parseFlags(argv: string[], known: Record<string, string>, usage: string): Flags {
  const flags: Flags = { ...known };
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      console.log(usage);
      process.exit(0);
    }
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!match || !(match[1]! in known)) {
      console.error(`unknown argument: ${arg}\n\n${usage}`);
      process.exit(2);
    }
    flags[match[1]!] = match[2] ?? 'true';
  }
  return flags;
}

export function intFlag(flags: Flags, name: string): number {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`--${name} must be a whole number, got ${flags[name]}`);
    process.exit(2);
  }
  return value;
}

/** The benchmarks' default topology flags: 9 nodes in 3 zones, 2 devices each. */
export const TOPOLOGY_FLAG_DEFAULTS = { nodes: '9', zones: '3', devices: '2' };

/** The topology the --nodes, --zones and --devices flags ask for. */
export function topologyFlags(flags: Flags): { nodes: number; zones: number; devicesPerNode: number } {
  return { nodes: intFlag(flags, 'nodes'), zones: intFlag(flags, 'zones'), devicesPerNode: intFlag(flags, 'devices') };
}

export function listFlag(flags: Flags, name: string): string[] {
  return (flags[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function intListFlag(flags: Flags, name: string): number[] {
  return listFlag(flags, name).map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) {
      console.error(`--${name} takes whole numbers separated by commas, got ${flags[name]}`);
      process.exit(2);
    }
    return n;
  });
}

/** --db=pglite,postgres (or "both"). */
export function dbFlag(flags: Flags): Array<'pglite' | 'postgres'> {
  const kinds = listFlag(flags, 'db').flatMap((k) => (k === 'both' ? ['postgres', 'pglite'] : [k]));
  for (const k of kinds) {
    if (k !== 'pglite' && k !== 'postgres') {
      console.error(`--db takes pglite, postgres or both, got ${k}`);
      process.exit(2);
    }
  }
  return kinds as Array<'pglite' | 'postgres'>;
}

/** The machine's load average, for every figure that is wall-clock time. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}
