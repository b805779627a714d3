import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planImport } from '../../src/app/heketi-import/plan';
import { rebuildSets } from '../../src/app/heketi-import/sets';
import { ImportRefused, validateHeketiDocument } from '../../src/app/heketi-import/validate';
import { sshExecSchema } from '../../src/config/schema';
import { metadataSpareKib } from '../../src/domain/thin-pool';
import * as fs from '../../src/executors/commands/filesystem';
import * as lvm from '../../src/executors/commands/lvm';
import { referenceExport } from '../support/heketi-nodes';

/** The pure parts of the import: checks, set rebuilding, space recomputation, and the verify commands. */
const D = '0a1b2c3d4e5f60718293a4b5c6d7e8f1';
const B = 'b1000000000000000000000000000001';
const P = 'c2000000000000000000000000000002';
const settings = sshExecSchema.parse({});

function refusal(change: (d: ReturnType<typeof referenceExport>) => void): string[] {
  const d = referenceExport();
  change(d);
  try {
    planImport(validateHeketiDocument(d));
  } catch (err) {
    if (err instanceof ImportRefused) return err.problems;
    throw err;
  }
  throw new Error('not refused');
}

test('the reference export plans into 21 bricks in whole sets, arbiter last, pools as Heketi recorded them', () => {
  const plan = planImport(validateHeketiDocument(referenceExport()));
  expect(plan.bricks).toHaveLength(21);
  const arb = plan.volumes.find((v) => v.name === 'arb')!;
  expect(arb.arbiter).toBe(true);
  const arbBricks = plan.bricks.filter((b) => b.volumeId === arb.id).sort((a, b) => a.position - b.position);
  expect(arbBricks.map((b) => b.arbiter)).toEqual([false, false, true]);
  // app-data was expanded in Heketi: two replica-3 sets of different brick sizes, each on three nodes
  const app = plan.volumes.find((v) => v.name === 'app-data')!;
  const sets = new Map<number, number[]>();
  for (const b of plan.bricks.filter((x) => x.volumeId === app.id)) sets.set(b.setIndex, [...(sets.get(b.setIndex) ?? []), b.sizeKib]);
  expect([...sets.values()].map((s) => [...new Set(s)])).toEqual([[10485760], [5242880]]);
  expect(plan.bricks.filter((b) => b.thinPool)).toHaveLength(6);
  expect(plan.drift).toEqual([]);
  for (const d of plan.devices) expect(d.usedKib + d.freeKib).toBe(d.totalKib);
});

test('drift is reported per device, and the recomputed figures are what is recorded', () => {
  const d = referenceExport();
  const dev = Object.values(d.deviceentries).find((x) => x.Bricks.length === 2)!;
  dev.Info.storage.used += 8192;
  dev.Info.storage.free -= 8192;
  const plan = planImport(validateHeketiDocument(d));
  const held = dev.Bricks.reduce((s, b) => s + d.brickentries[b]!.TpSize + d.brickentries[b]!.PoolMetadataSize, 0);
  const total = dev.Info.storage.total - metadataSpareKib(dev.Info.storage.total);
  expect(plan.drift).toEqual([
    {
      device: dev.Info.id,
      node: dev.NodeId,
      name: dev.Info.name,
      file: dev.Info.storage,
      bricks_kib: held,
      drift_kib: 8192,
      recorded: { total, used: held, free: total - held },
    },
  ]);
});

test('sets are rebuilt on distinct nodes with one size; an old database without sub-types finds its arbiters', () => {
  const bricks = [
    { id: 'a', nodeId: 'n1', sizeKib: 10, arbiter: false },
    { id: 'b', nodeId: 'n1', sizeKib: 5, arbiter: false },
    { id: 'c', nodeId: 'n2', sizeKib: 10, arbiter: false },
    { id: 'd', nodeId: 'n2', sizeKib: 5, arbiter: false },
  ];
  const placed = rebuildSets(bricks, 2, false);
  expect(placed).toEqual([
    { id: 'a', setIndex: 0, position: 0 },
    { id: 'c', setIndex: 0, position: 1 },
    { id: 'b', setIndex: 1, position: 0 },
    { id: 'd', setIndex: 1, position: 1 },
  ]);
  const old = referenceExport();
  for (const b of Object.values(old.brickentries)) b.SubType = 0;
  const plan = planImport(validateHeketiDocument(old));
  const arb = plan.volumes.find((v) => v.name === 'arb')!;
  expect(plan.bricks.filter((b) => b.volumeId === arb.id && b.arbiter).map((b) => b.sizeKib)).toEqual([98304]);
});

test('checks name the entry and the field', () => {
  const brick = Object.keys(referenceExport().brickentries)[0]!;
  expect(refusal((d) => (d.brickentries[brick]!.LvmThinPool = 'tp_x; reboot'))).toEqual([
    `brickentries.${brick}.LvmThinPool: "tp_x; reboot" is not a Heketi thin pool name (tp_ and 32 hex characters)`,
  ]);
  const other = Object.keys(referenceExport().brickentries)[1]!;
  expect(
    refusal((d) => {
      d.brickentries[brick]!.Info.device = d.brickentries[other]!.Info.device;
      d.brickentries[brick]!.LvmThinPool = d.brickentries[other]!.LvmThinPool || `tp_${other}`;
    }).some((p) => p.startsWith(`brickentries.`) && p.includes('LvmThinPool: thin pool')),
  ).toBe(true);
  const volume = Object.keys(referenceExport().volumeentries)[0]!;
  expect(refusal((d) => ((d.volumeentries[volume]!.Info as { size: unknown }).size = '5'))).toContain(
    `volumeentries.${volume}.Info.size: must be a whole number, not "5"`,
  );
  expect(refusal((d) => (d.blockvolumeentries = { x: {} }))[0]).toMatch(/^blockvolumeentries: holds 1 block volumes/);
});

test('an imported brick with its own pool name: destroy and verify use it, other names are refused', () => {
  expect(lvm.thinCount(settings, D, B, `tp_${P}`)).toBe(`lvm lvs --noheadings -o thin_count vg_${D}/tp_${P}`);
  expect(lvm.thinPoolRemove(settings, D, B, `tp_${P}`)).toBe(`lvm lvremove -qq -f --autobackup=n vg_${D}/tp_${P}`);
  expect(lvm.thinPoolRemove(settings, D, B)).toBe(`lvm lvremove -qq -f --autobackup=n vg_${D}/tp_${B}`);
  expect(() => lvm.thinCount(settings, D, B, 'tp_x --force')).toThrow(/thin pool name/);
  expect(fs.brickMounted(D, B)).toBe(`mountpoint -q /var/lib/heketi/mounts/vg_${D}/brick_${B}`);
});

test('the fstab check finds only the brick line that is not commented out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fstab-'));
  const fstab = join(dir, 'fstab');
  const s = { ...settings, fstab };
  const line = fs.fstabLine(s, D, B);
  const has = () => {
    try {
      execFileSync('/bin/sh', ['-c', fs.fstabHasBrick(s, D, B)]);
      return true;
    } catch {
      return false;
    }
  };
  writeFileSync(fstab, `# ${line}\n/dev/sda1 / ext4 defaults 0 1\n`);
  expect(has()).toBe(false);
  writeFileSync(fstab, `/dev/sda1 / ext4 defaults 0 1\n${line}\n`);
  expect(has()).toBe(true);
});
