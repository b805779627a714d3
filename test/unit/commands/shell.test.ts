import { execFileSync } from 'node:child_process';

import { shellCommand, shellQuote } from '../../../src/executors/commands/shell';

/** What bash makes of a command line: each word it received, one per NUL-terminated record. */
function wordsAsBashSeesThem(line: string): string[] {
  const out = execFileSync('/bin/bash', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

describe('shellQuote', () => {
  test('plain words stay bare, everything else is single-quoted', () => {
    expect(shellQuote('/dev/sdb')).toBe('/dev/sdb');
    expect(shellQuote('--dataalignment=256K')).toBe('--dataalignment=256K');
    expect(shellQuote('rw,inode64,noatime,nouuid')).toBe('rw,inode64,noatime,nouuid');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('a b')).toBe("'a b'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('$(reboot)')).toBe("'$(reboot)'");
    expect(shellCommand('mount', '-o', 'a b', 3)).toBe("mount -o 'a b' 3");
  });

  test.each([
    ["it's"],
    ['a b  c'],
    ['$(touch /tmp/pwned) `id` $HOME ${PATH}'],
    ['"double" \'single\' \\back\\slash'],
    ['semi;colon&amp|pipe>redirect<in'],
    ['new\nline\ttab'],
    ['*?[glob]~'],
    ["''''"],
    ['ünïcødé ✓'],
    ['-n'],
    [''],
  ])('bash reads %j back as exactly that word', (word) => {
    expect(wordsAsBashSeesThem(shellQuote(word))).toEqual([word]);
    expect(wordsAsBashSeesThem(shellCommand('x', word, 'y'))).toEqual(['x', word, 'y']);
  });

  test('a quoted command line survives being quoted again for bash -c (how transports wrap it)', () => {
    const inner = shellCommand('printf', '%s|', "it's", '$(id)', 'a b');
    const out = execFileSync('/bin/bash', ['-c', `/bin/bash -c ${shellQuote(inner)}`], { encoding: 'utf8' });
    expect(out).toBe("it's|$(id)|a b|");
  });
});
