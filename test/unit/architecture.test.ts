import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import ts from 'typescript';

/**
 * The dependency rules of docs/ARCHITECTURE.md, checked on the real source tree. The checker reads each file
 * with the TypeScript parser (so comments and strings never count) and is exercised on bad fixtures below,
 * so a rule that stopped matching would be noticed.
 */

const ROOT = join(__dirname, '..', '..');

type Layer =
  | 'domain' | 'app' | 'db' | 'executors' | 'http' | 'cli' | 'client' | 'csi' | 'mount' | 'config' | 'observability' | 'root' | 'outside';

/** 'src/http/routes/x.ts' -> 'http'; 'src/main.ts' -> 'root' (the composition root); anything else -> 'outside'. */
function layerOf(path: string): Layer {
  const parts = path.split('/');
  if (parts[0] !== 'src') return 'outside';
  if (parts.length === 2) return 'root';
  return parts[1] as Layer;
}

interface ImportRef {
  specifier: string;
  /** Repository-relative path for a relative specifier; undefined for a package. */
  target?: string;
  typeOnly: boolean;
}

/** Drivers of the database and of the storage nodes: only db, executors and the composition root use them. */
const DRIVER_PACKAGES = ['knex', 'knex-pglite', 'pg', '@electric-sql/pglite', 'ssh2', '@kubernetes/client-node'];
const RAW_METHODS = new Set(['raw', 'whereRaw', 'orWhereRaw', 'havingRaw', 'joinRaw', 'orderByRaw', 'groupByRaw']);
const TABLE_METHODS = new Set(['table', 'from', 'into']);
/** Names a knex handle goes by in this code base: db, trx, tx, knex, ctx.db, database.knex, appDb ... */
const KNEX_HANDLE = /^(db|trx|tx|knex)$|(Db|Trx|Knex)$/;

function collect(file: string, source: string): { imports: ImportRef[]; queries: string[]; dbReads: number[] } {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const imports: ImportRef[] = [];
  const queries: string[] = [];
  const dbReads: number[] = [];
  const lineOf = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const add = (specifier: string, typeOnly: boolean) => {
    const target = specifier.startsWith('.') ? posix.normalize(posix.join(posix.dirname(file), specifier)) : undefined;
    imports.push({ specifier, target, typeOnly });
  };
  const handleName = (e: ts.Expression): string | undefined =>
    ts.isIdentifier(e) ? e.text : ts.isPropertyAccessExpression(e) ? e.name.text : undefined;

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        !!clause &&
        (clause.isTypeOnly ||
          (!clause.name &&
            !!clause.namedBindings &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node)) {
      const [first] = node.arguments;
      const literalFirst = !!first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first) || ts.isTemplateExpression(first));
      const callee = node.expression;
      if ((callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) && first && ts.isStringLiteral(first)) {
        add(first.text, false);
      }
      // db('table'), trx<Row>('table'), ctx.db('table')
      const name = handleName(callee);
      if (name && KNEX_HANDLE.test(name) && literalFirst) queries.push(`line ${lineOf(node)}: ${node.getText(sf).split('\n')[0]}`);
      if (ts.isPropertyAccessExpression(callee)) {
        const method = callee.name.text;
        const receiver = callee.expression;
        // x.raw(...): any receiver but `this` (an HTTP client may have a method of that name)
        if (RAW_METHODS.has(method) && receiver.kind !== ts.SyntaxKind.ThisKeyword) {
          queries.push(`line ${lineOf(node)}: ${node.getText(sf).split('\n')[0]}`);
        }
        const receiverName = handleName(receiver);
        if (TABLE_METHODS.has(method) && receiverName && KNEX_HANDLE.test(receiverName)) {
          queries.push(`line ${lineOf(node)}: ${node.getText(sf).split('\n')[0]}`);
        }
      }
    } else if (ts.isPropertyAccessExpression(node) && node.name.text === 'db') {
      dbReads.push(lineOf(node));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { imports, queries, dbReads };
}

/** Every rule a file breaks, one line each; empty when it keeps them all. `file` is relative to the repository. */
export function checkFile(file: string, source: string): string[] {
  const layer = layerOf(file);
  const { imports, queries, dbReads } = collect(file, source);
  const problems: string[] = [];
  const say = (rule: string, detail: string) => problems.push(`${file}: ${rule}: ${detail}`);

  for (const i of imports) {
    const to = i.target ? layerOf(i.target) : undefined;
    const pkg = i.target ? undefined : i.specifier;
    switch (layer) {
      case 'domain':
        if (to !== 'domain' && !pkg?.startsWith('node:')) say('domain imports only domain', i.specifier);
        break;
      case 'http':
        if (to === 'db' || to === 'executors' || to === 'cli') say('http goes through app, not db or executors', i.specifier);
        if (pkg && DRIVER_PACKAGES.includes(pkg)) say('http goes through app, not db or executors', i.specifier);
        break;
      case 'app':
        if (to === 'http' || to === 'cli' || to === 'client' || to === 'csi') say('app does not import http, cli or client', i.specifier);
        if (to === 'executors' && i.target !== 'src/executors/types') say('app uses executors only through executors/types', i.specifier);
        if (pkg && DRIVER_PACKAGES.includes(pkg) && !(pkg === 'knex' && i.typeOnly)) say('app uses drivers only through db and executors', i.specifier);
        break;
      case 'db':
        // a store may implement an interface an executor defines (the mock's node store): types only
        if (to === 'app' || to === 'http' || to === 'cli' || (to === 'executors' && !i.typeOnly)) say('db imports only domain', i.specifier);
        break;
      case 'observability':
        if (to === 'db' || to === 'http' || to === 'executors' || to === 'cli') say('observability implements app interfaces only', i.specifier);
        break;
      case 'executors':
        if (to === 'app' || to === 'http' || to === 'db' || to === 'cli') say('executors import only domain and config', i.specifier);
        break;
      // programs that run beside the server (the operator CLI, the CSI driver) and their libraries
      case 'cli':
      case 'client':
      case 'csi':
      case 'mount':
        if (to === 'db' || to === 'executors' || to === 'app' || to === 'http') say('cli, client and csi speak HTTP only', i.specifier);
        if (pkg && DRIVER_PACKAGES.includes(pkg)) say('cli, client and csi speak HTTP only', i.specifier);
        break;
      default:
        break;
    }
  }
  if (layer !== 'db') for (const q of queries) say('query building only in src/db', q);
  if (layer === 'http') for (const line of dbReads) say('http goes through app, not db or executors', `line ${line}: reads .db`);
  return problems;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('the source tree keeps the dependency rules', () => {
  const files = sourceFiles(join(ROOT, 'src')).map((p) => relative(ROOT, p).split('\\').join('/'));

  test('every file under src/ keeps every rule', () => {
    const problems = files.flatMap((f) => checkFile(f, readFileSync(join(ROOT, f), 'utf8')));
    expect(problems).toEqual([]);
  });

  test('the scan sees the whole tree and its imports (it is not passing by reading nothing)', () => {
    for (const layer of ['domain', 'app', 'db', 'executors', 'http', 'cli', 'client', 'config']) {
      expect(files.some((f) => layerOf(f) === layer)).toBe(true);
    }
    const routes = collect('src/http/routes/volumes.ts', readFileSync(join(ROOT, 'src/http/routes/volumes.ts'), 'utf8'));
    expect(routes.imports.map((i) => i.target)).toContain('src/app/queries');
    const repo = collect('src/db/repositories/volumes.ts', readFileSync(join(ROOT, 'src/db/repositories/volumes.ts'), 'utf8'));
    expect(repo.queries.length).toBeGreaterThan(0);
  });

  test('the vocabulary of operations and topology lives in src/domain', () => {
    const defined = (name: string) =>
      files.filter((f) => new RegExp(`export (type|interface) ${name}\\b`).test(readFileSync(join(ROOT, f), 'utf8')));
    expect(defined('OperationRecord')).toEqual(['src/domain/operation.ts']);
    expect(defined('Initiator')).toEqual(['src/domain/operation.ts']);
    expect(defined('OperationState')).toEqual(['src/domain/operation.ts']);
    expect(defined('OperationPhase')).toEqual(['src/domain/operation.ts']);
    expect(defined('Lifecycle')).toEqual(['src/domain/model.ts']);
    expect(defined('NodeRecord')).toEqual(['src/domain/model.ts']);
    expect(defined('DeviceRecord')).toEqual(['src/domain/model.ts']);
  });
});

describe('the checker finds each kind of violation', () => {
  test.each([
    ['src/domain/x.ts', "import { findVolume } from '../db/repositories/volumes';", 'domain imports only domain'],
    ['src/domain/placement/x.ts', "import type { AppContext } from '../../app/context';", 'domain imports only domain'],
    ['src/domain/x.ts', "import { z } from 'zod';", 'domain imports only domain'],
    ['src/http/routes/x.ts', "import { findOperation } from '../../db/repositories/operations';", 'http goes through app'],
    ['src/http/x.ts', "export { sshTransport } from '../executors/ssh';", 'http goes through app'],
    ['src/http/x.ts', "import type { Knex } from 'knex';", 'http goes through app'],
    ['src/http/routes/x.ts', 'export const f = (s: any) => listVolumes(s.app.db);', 'http goes through app'],
    ['src/app/x.ts', "import { HttpError } from '../http/errors';", 'app does not import http'],
    ['src/app/operations/x.ts', "import { SshTransport } from '../../executors/ssh/transport';", 'app uses executors only through executors/types'],
    ['src/app/x.ts', "import knex from 'knex';", 'app uses drivers only through db'],
    ['src/cli/commands/x.ts', "import { listVolumes } from '../../db/repositories/volumes';", 'cli, client and csi speak HTTP only'],
    ['src/client/x.ts', "const m = require('../db/connect');", 'cli, client and csi speak HTTP only'],
    ['src/csi/x.ts', "import { volumeView } from '../app/queries';", 'cli, client and csi speak HTTP only'],
    ['src/db/repositories/x.ts', "import { runner } from '../../app/runner';", 'db imports only domain'],
    ['src/db/x.ts', "import { MockExecutor } from '../executors/mock';", 'db imports only domain'],
    ['src/executors/x.ts', "import { findNode } from '../db/repositories/nodes';", 'executors import only domain and config'],
    ['src/observability/x.ts', "import { listVolumes } from '../db/repositories/volumes';", 'observability implements app interfaces only'],
    ['src/app/x.ts', "export const f = (trx: any) => trx('bricks').where({ state: 'pending' });", 'query building only in src/db'],
    ['src/app/x.ts', 'export const f = (ctx: any) => ctx.db<Row>(`volumes`).select();', 'query building only in src/db'],
    ['src/app/x.ts', "export const f = (db: any) => db.raw('select 1');", 'query building only in src/db'],
    ['src/http/x.ts', "export const f = (q: any) => q.whereRaw('size > ?', [1]);", 'query building only in src/db'],
    ['src/app/x.ts', "export const f = (trx: any) => trx.from('nodes');", 'query building only in src/db'],
  ])('%s: %s', (file, source, rule) => {
    const problems = checkFile(file, source);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toContain(rule);
  });

  test.each([
    ['src/domain/x.ts', "import { randomBytes } from 'node:crypto';\nimport { kib } from './units';"],
    ['src/http/routes/x.ts', "import { volumeView } from '../../app/queries';\n// db('volumes') in a comment is not a query"],
    ['src/app/x.ts', "import type { Knex } from 'knex';\nimport type { StorageExecutor } from '../executors/types';"],
    ['src/app/x.ts', "export const f = (ctx: any) => ctx.db.transaction(async (trx: any) => trx.commit());"],
    ['src/db/repositories/x.ts', "export const f = (db: any) => db('volumes').where({ id: db.raw('?', [1]) });"],
    ['src/client/x.ts', "class C { raw(m: string) { return m; } get() { return this.raw('GET'); } }"],
    ['src/db/x.ts', "import type { MockStateStore } from '../executors/mock/state-store';"],
    ['src/container.ts', "import { sshTransport } from './executors/ssh';\nimport { openDatabase } from './db/connect';"],
  ])('%s keeps the rules: %s', (file, source) => {
    expect(checkFile(file, source)).toEqual([]);
  });
});
