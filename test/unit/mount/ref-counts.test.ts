import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyedLock } from '../../../src/mount/keyed-lock';
import { RefCounts } from '../../../src/mount/ref-counts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'refcounts-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('RefCounts', () => {
  it('counts holders per volume, once each, and persists them', async () => {
    const file = join(dir, 'state', 'mounts.json');
    const { refs } = await RefCounts.open(file, { isMounted: () => true });
    expect(await refs.add('shared', 'c1', '/m/shared')).toBe(1);
    expect(await refs.add('shared', 'c1', '/m/shared')).toBe(1);
    expect(await refs.add('shared', 'c2', '/m/shared')).toBe(2);
    expect(await refs.remove('shared', 'unknown')).toBe(2);
    expect(await refs.remove('shared', 'c1')).toBe(1);
    const saved = JSON.parse(await readFile(file, 'utf8'));
    expect(saved).toEqual({ version: 1, volumes: { shared: { mountPoint: '/m/shared', holders: ['c2'] } } });
    // no temporary files left behind
    expect(await readdir(join(dir, 'state'))).toEqual(['mounts.json']);
  });

  it('reopens with the holders of volumes still mounted (a plugin restart)', async () => {
    const file = join(dir, 'mounts.json');
    const first = (await RefCounts.open(file, { isMounted: () => true })).refs;
    await first.add('a', 'c1', '/m/a');
    await first.add('b', 'c2', '/m/b');
    const { refs, reconciliation } = await RefCounts.open(file, { isMounted: (p) => p === '/m/a' });
    expect(refs.get('a')).toEqual({ mountPoint: '/m/a', holders: ['c1'] });
    // b's mount is gone (host rebooted): its holders are dropped so its next unmount does not wait forever
    expect(refs.get('b')).toBeUndefined();
    expect(reconciliation.dropped).toEqual([{ volume: 'b', mountPoint: '/m/b', holders: ['c2'] }]);
    expect(JSON.parse(await readFile(file, 'utf8')).volumes).toEqual({ a: { mountPoint: '/m/a', holders: ['c1'] } });
  });

  it('adopts mounts it did not know with no holders', async () => {
    const file = join(dir, 'mounts.json');
    const { refs, reconciliation } = await RefCounts.open(file, {
      isMounted: () => true,
      present: [{ volume: 'orphan', mountPoint: '/m/orphan' }],
    });
    expect(reconciliation.adopted).toEqual([{ volume: 'orphan', mountPoint: '/m/orphan' }]);
    expect(refs.count('orphan')).toBe(0);
    expect(refs.list()).toEqual([{ volume: 'orphan', mountPoint: '/m/orphan', holders: [] }]);
    await refs.forget('orphan');
    expect(refs.list()).toEqual([]);
  });

  it('keeps the last of many concurrent changes on disk', async () => {
    const file = join(dir, 'mounts.json');
    const { refs } = await RefCounts.open(file, { isMounted: () => true });
    await Promise.all(Array.from({ length: 25 }, (_, i) => refs.add('v', `c${i}`, '/m/v')));
    expect(JSON.parse(await readFile(file, 'utf8')).volumes.v.holders).toHaveLength(25);
  });

  it('refuses a state file of another shape instead of guessing', async () => {
    const file = join(dir, 'mounts.json');
    await writeFile(file, '{"volumes": []}');
    await expect(RefCounts.open(file, { isMounted: () => true })).rejects.toThrow('not a mount state file');
  });
});

describe('KeyedLock', () => {
  it('runs work for one key one at a time, other keys alongside, and survives a failure', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a1 = lock.run('a', async () => {
      order.push('a1 start');
      await gate;
      order.push('a1 end');
      throw new Error('a1 failed');
    });
    const a2 = lock.run('a', async () => {
      order.push('a2');
      return 2;
    });
    const b = lock.run('b', async () => {
      order.push('b');
      return 'b';
    });
    expect(await b).toBe('b');
    release();
    await expect(a1).rejects.toThrow('a1 failed');
    expect(await a2).toBe(2);
    expect(order).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
  });
});
