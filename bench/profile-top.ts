/**
 * Where a CPU profile's time went (issue 12): self time by origin (a package under node_modules, a directory
 * of Brickyard's own code, Node's internals, WebAssembly, GC), the functions with the most self time, and the
 * functions with the most inclusive time (each counted once per sample, whatever the recursion).
 *
 * Run: node dist/bench/profile-top.js FILE.cpuprofile [--per=N] [--top=25]
 * --per divides every figure by N (e.g. the number of creates the profile covers) to print ms per operation.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: node dist/bench/profile-top.js FILE.cpuprofile [--per=N] [--top=25]');
  process.exit(2);
}
const option = (name: string, fallback: number) => {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : fallback;
};
const per = option('per', 1);
const top = option('top', 25);

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** What a frame belongs to: a package, a directory of our code, Node, WebAssembly, or V8's own entries. */
function origin(n: ProfileNode): string {
  const url = n.callFrame.url;
  if (!url) return `(${n.callFrame.functionName || 'native'})`;
  if (url.startsWith('wasm://')) return 'wasm (PGlite)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const own = /dist\/(src\/[^/]+|bench)/.exec(url);
  if (own) return own[1]!;
  return url;
}
const name = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${origin(n)}${n.callFrame.url && !n.callFrame.url.startsWith('wasm') ? `:${n.callFrame.lineNumber + 1}` : ''}`;

const self = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = (profile.timeDeltas[i] ?? 0) / 1000;
  self.set(id, (self.get(id) ?? 0) + dt);
  total += dt;
});

const byOrigin = new Map<string, number>();
const bySelf = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  byOrigin.set(origin(n), (byOrigin.get(origin(n)) ?? 0) + t);
  bySelf.set(name(n), (bySelf.get(name(n)) ?? 0) + t);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const key = name(byId.get(cur)!);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + t);
  }
}

const idle = byOrigin.get('(idle)') ?? 0;
const busy = total - idle;
const fmt = (t: number) => `${(t / per).toFixed(per > 1 ? 3 : 1).padStart(9)} ms  ${((100 * t) / busy).toFixed(1).padStart(5)}%`;
const list = (title: string, m: Map<string, number>, n: number) => {
  console.log(`\n${title}`);
  for (const [k, t] of [...m].filter(([k]) => k !== '(idle) (idle)' && k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`${fmt(t)}  ${k}`);
  }
};
console.log(`${file}: ${(total / 1000).toFixed(2)} s sampled, ${(busy / 1000).toFixed(2)} s not idle${per > 1 ? `; ms per operation (/${per})` : ''}; % of not idle`);
list('self time by origin', byOrigin, top);
list('self time by function', bySelf, top);
list('inclusive time by function', inclusive, top * 2);
