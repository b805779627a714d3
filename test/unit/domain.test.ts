import { dataBricksPerSet, isValidDisperse, setWidth, toleratedLosses } from '../../src/domain/durability';
import { reservedByDevice } from '../../src/domain/model';
import { applyTagChange } from '../../src/domain/tags';
import { deviceBooks, deviceFits, metadataSpareKib, thinPoolSizes } from '../../src/domain/thin-pool';
import { formatKib, KIB_PER_GIB } from '../../src/domain/units';
import { Semaphore } from '../../src/app/semaphore';

describe('thin pool arithmetic (heketi-commands.md)', () => {
  test('a 2 GiB brick without snapshots: --size 2097152K --poolmetadatasize 12288K', () => {
    expect(thinPoolSizes(2 * KIB_PER_GIB, 1)).toEqual({ tpSizeKib: 2097152, poolMetadataKib: 12288, reservedKib: 2109440 });
  });
  test('snapshot factor multiplies the pool, rounded up to whole extents', () => {
    const s = thinPoolSizes(1000001, 1.5);
    expect(s.tpSizeKib % 4096).toBe(0);
    expect(s.tpSizeKib).toBeGreaterThanOrEqual(1500002);
    expect(s.tpSizeKib - 1500002).toBeLessThan(4096);
  });
  test('metadata is at most 16 GiB', () => {
    expect(thinPoolSizes(8192 * KIB_PER_GIB, 1).poolMetadataKib).toBe(16 * KIB_PER_GIB);
  });
  test('a device fits only with strictly more free space than the reservation', () => {
    expect(deviceFits(100, 100)).toBe(false);
    expect(deviceFits(101, 100)).toBe(true);
  });
});

describe('device books (the metadata spare allowance is not part of total)', () => {
  const total = 500 * KIB_PER_GIB;
  const allowance = metadataSpareKib(total);
  test('an empty device: used 0, total = free', () => {
    expect(allowance).toBe(2621440);
    expect(deviceBooks({ totalKib: total, freeKib: total, extentKib: 4096 })).toEqual({ totalKib: total - allowance, freeKib: total - allowance, usedKib: 0 });
  });
  test('a spare LVM already made is part of the allowance; pending bricks count as used', () => {
    const books = deviceBooks({ totalKib: total, freeKib: total - 8192 - 1_000_000, extentKib: 4096, metadataSpareKib: 8192 }, 50_000);
    expect(books).toEqual({ totalKib: total - allowance, freeKib: total - allowance - 1_050_000, usedKib: 1_050_000 });
    expect(books.freeKib + books.usedKib).toBe(books.totalKib);
  });
  test('a full device: free 0, never negative', () => {
    expect(deviceBooks({ totalKib: total, freeKib: 4096, extentKib: 4096 })).toEqual({ totalKib: total - allowance, freeKib: 0, usedKib: total - allowance });
  });
});

describe('durability', () => {
  test('set widths and loss tolerance', () => {
    expect(setWidth({ type: 'none' })).toBe(1);
    expect(setWidth({ type: 'replicate', replica: 3 })).toBe(3);
    expect(setWidth({ type: 'disperse', data: 4, redundancy: 2 })).toBe(6);
    expect(dataBricksPerSet({ type: 'disperse', data: 8, redundancy: 3 })).toBe(8);
    expect(toleratedLosses({ type: 'replicate', replica: 2 })).toBe(1);
    expect(toleratedLosses({ type: 'disperse', data: 8, redundancy: 4 })).toBe(4);
  });
  test('only the known disperse combinations', () => {
    expect([[2, 1], [4, 2], [8, 3], [8, 4]].every(([d, r]) => isValidDisperse(d!, r!))).toBe(true);
    expect(isValidDisperse(3, 1)).toBe(false);
    expect(isValidDisperse(4, 1)).toBe(false);
  });
});

test('reservedByDevice sums each device\'s brick reservations and counts its bricks', () => {
  const bricks = [
    { deviceId: 'a', reservedKib: 100 },
    { deviceId: 'b', reservedKib: 7 },
    { deviceId: 'a', reservedKib: 50 },
  ];
  expect(reservedByDevice(bricks)).toEqual(
    new Map([
      ['a', { kib: 150, bricks: 2 }],
      ['b', { kib: 7, bricks: 1 }],
    ]),
  );
  expect(reservedByDevice([]).size).toBe(0);
});

test('tag changes: set replaces, update merges, delete removes keys', () => {
  const tags = { a: '1', b: '2' };
  expect(applyTagChange(tags, { changeType: 'set', tags: { c: '3' } })).toEqual({ c: '3' });
  expect(applyTagChange(tags, { changeType: 'update', tags: { b: '9', c: '3' } })).toEqual({ a: '1', b: '9', c: '3' });
  expect(applyTagChange(tags, { changeType: 'delete', tags: { a: '' } })).toEqual({ b: '2' });
});

test('sizes print in binary units', () => {
  expect(formatKib(512)).toBe('512 KiB');
  expect(formatKib(1536 * 1024)).toBe('1.5 GiB');
  expect(formatKib(500 * KIB_PER_GIB)).toBe('500 GiB');
});

test('semaphore: at most the limit run, the rest wait in order, a full line refuses', async () => {
  const s = new Semaphore(2, 2);
  const order: number[] = [];
  const r1 = await s.acquire();
  const r2 = await s.acquire();
  expect(s.inFlight).toBe(2);
  const w3 = s.acquire().then((r) => (order.push(3), r));
  const w4 = s.acquire().then((r) => (order.push(4), r));
  expect(s.queued).toBe(2);
  expect(s.hasRoom()).toBe(false);
  r1();
  r1(); // releasing twice frees one slot only
  const r3 = await w3;
  expect(order).toEqual([3]);
  expect(s.inFlight).toBe(2);
  r2();
  const r4 = await w4;
  expect(order).toEqual([3, 4]);
  r3();
  r4();
  expect(s.inFlight).toBe(0);
  expect(s.hasRoom()).toBe(true);
});
