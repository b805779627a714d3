import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { CommandResult } from '../../../src/executors/transport';

/**
 * Real outputs captured on the storage lab's UML nodes by test/fixtures/node-output/capture-uml.sh:
 * INDEX.tsv lists each capture's name, node, exit code and command; <name>.out / <name>.err hold what it printed.
 */
const DIR = join(__dirname, '../../fixtures/node-output');

interface Capture extends CommandResult {
  command: string;
}

let index: Map<string, { exitCode: number; command: string }> | undefined;

function captures(): Map<string, { exitCode: number; command: string }> {
  if (!index) {
    index = new Map();
    for (const line of readFileSync(join(DIR, 'INDEX.tsv'), 'utf8').split('\n')) {
      if (line === '') continue;
      const [name = '', , code = '', ...command] = line.split('\t');
      index.set(name, { exitCode: Number(code), command: command.join('\t') });
    }
  }
  return index;
}

function readOptional(file: string): string {
  try {
    return readFileSync(join(DIR, file), 'utf8');
  } catch {
    return '';
  }
}

export function nodeOutput(name: string): Capture {
  const entry = captures().get(name);
  if (!entry) throw new Error(`no capture named ${name} in test/fixtures/node-output/INDEX.tsv`);
  return { ...entry, stdout: readOptional(`${name}.out`), stderr: readOptional(`${name}.err`) };
}
