import {
  parseHealInfoText,
  parseHealInfoXml,
  parseLvmReport,
  parsePeerStatusText,
  parsePeerStatusXml,
  parsePoolListText,
  parsePvReport,
  parseSignatures,
  parseThinCount,
  parseMetadataSpareKib,
  parseUdevSymlinks,
  parseVgDisplay,
  parseVolumeInfoXml,
  parseXml,
  saysAlreadyStarted,
  saysLvMissing,
  saysNotAPeer,
  saysNotAPv,
  saysVgMissing,
  saysVolumeExists,
  saysVolumeMissing,
  splitBrickAddress,
} from '../../../src/executors/commands';
import { nodeOutput } from './node-output';

/** Every fixture here is real output of lvm2 2.03.16, util-linux 2.38, gluster 10.3 on the lab's UML nodes. */
const D1 = '0a1b2c3d4e5f60718293a4b5c6d7e8f1';
const VOL = 'vol_5e1f0c2a9b8d47e6a3c2b1d0e9f8a7b6';
const brickOn = (n: number, brick: string): string =>
  `10.213.0.3${n}:/var/lib/heketi/mounts/vg_0a1b2c3d4e5f60718293a4b5c6d7e8f${n}/brick_${brick}/brick`;

describe('LVM parsers', () => {
  test('vgdisplay -c of a fresh 10 GiB VG: 4 MiB extents, 2527 of them, none allocated', () => {
    expect(parseVgDisplay(nodeOutput('vgdisplay-empty').stdout)).toEqual({
      vgName: `vg_${D1}`,
      extentKib: 4096,
      totalKib: 2527 * 4096,
      usedKib: 0,
      freeKib: 2527 * 4096,
      vgUuid: '1zE7nG-8PNZ-jh1s-RHY2-KAOJ-hh9l-P509lM',
    });
  });

  test('vgdisplay -c after one 512 MiB thin pool: pool data + metadata + the pool metadata spare', () => {
    const one = parseVgDisplay(nodeOutput('vgdisplay-one-brick').stdout);
    expect(one.usedKib).toBe(130 * 4096); // 128 data + 1 metadata + 1 spare extent
    expect(one.freeKib).toBe(2397 * 4096);
    expect(one.usedKib + one.freeKib).toBe(one.totalKib);
    const four = parseVgDisplay(nodeOutput('vgdisplay-four-bricks').stdout);
    expect(four.usedKib).toBe((4 * 129 + 1) * 4096); // the spare is shared by every pool of the VG
  });

  test('vgdisplay of a missing VG is not parsed into zeros', () => {
    const missing = nodeOutput('vgdisplay-missing');
    expect(missing.exitCode).toBe(5);
    expect(() => parseVgDisplay(missing.stdout)).toThrow(/expected 17 fields/);
    expect(() => parseVgDisplay('vg:r/w:772:-1:0:0:0:-1:0:1:1:10350592:x:2527:0:2527:uuid')).toThrow(/extent size is not a number/);
  });

  test('pvs json: the PV, its uuid and VG; an empty report for a disk that is no PV', () => {
    expect(parsePvReport(nodeOutput('pvs-json').stdout)).toEqual([
      { pvName: '/dev/ubdb', pvUuid: 'lHOF80-Wp9H-zuyP-wKTp-oRjQ-5BsW-bAUjYd', vgName: `vg_${D1}` },
    ]);
    const notPv = nodeOutput('pvs-json-not-a-pv');
    expect(notPv.exitCode).toBe(5);
    expect(parsePvReport(notPv.stdout)).toEqual([]);
    expect(() => parsePvReport('  Failed to find')).toThrow(/not JSON/);
  });

  test('lvs json rows and thin_count', () => {
    const rows = parseLvmReport(nodeOutput('lvs-json').stdout, 'lv');
    expect(rows).toEqual([
      { lv_name: 'brick_b1000000000000000000000000000001', pool_lv: 'tp_b1000000000000000000000000000001', thin_count: '', lv_size: '524288.00k' },
      { lv_name: 'tp_b1000000000000000000000000000001', pool_lv: '', thin_count: '1', lv_size: '524288.00k' },
    ]);
    expect(parseThinCount(nodeOutput('lvs-thin-count-1').stdout)).toBe(1);
    // LVM's metadata spare appears with the first thin pool of a VG (captured on a UML node)
    expect(parseMetadataSpareKib(nodeOutput('lvs-all-sizes-spare').stdout)).toBe(8192);
    expect(parseMetadataSpareKib(nodeOutput('lvs-all-sizes-no-pool').stdout)).toBe(0);
    expect(parseThinCount(nodeOutput('lvs-thin-count-0').stdout)).toBe(0);
    expect(() => parseThinCount(nodeOutput('lvs-thin-count-missing').stdout)).toThrow(/not a number/);
  });

  test('udev symlinks become /dev paths', () => {
    expect(parseUdevSymlinks(nodeOutput('udevadm-symlinks').stdout)).toEqual([
      '/dev/disk/by-path/platform-uml-blkdev.1',
      '/dev/disk/by-diskseq/2',
      '/dev/disk/by-id/lvm-pv-uuid-lHOF80-Wp9H-zuyP-wKTp-oRjQ-5BsW-bAUjYd',
    ]);
    expect(parseUdevSymlinks('\n')).toEqual([]);
  });

  test('wipefs listing: blank disk, LVM label, filesystem; and after wipefs --all', () => {
    expect(parseSignatures(nodeOutput('wipefs-list-blank').stdout)).toEqual([]);
    expect(parseSignatures(nodeOutput('wipefs-list-pv').stdout)).toEqual([{ type: 'LVM2_member', offset: '0x218' }]);
    expect(parseSignatures(nodeOutput('wipefs-list-fs').stdout)).toEqual([{ type: 'xfs', offset: '0x0' }]);
    expect(nodeOutput('wipefs-all').stdout).toContain('bytes were erased');
    expect(parseSignatures(nodeOutput('wipefs-list-after-wipe').stdout)).toEqual([]);
  });
});

describe('what nodes say when things are already done or gone', () => {
  test('LVM: missing LV, pool, VG, PV', () => {
    expect(saysLvMissing(nodeOutput('lvremove-missing').stderr)).toBe(true);
    expect(saysLvMissing(nodeOutput('lvremove-pool-missing').stderr)).toBe(true);
    expect(saysLvMissing(nodeOutput('lvs-thin-count-missing').stderr)).toBe(true);
    expect(saysVgMissing(nodeOutput('vgremove-missing').stderr)).toBe(true);
    expect(saysLvMissing(nodeOutput('vgremove-missing').stderr)).toBe(true); // an LV in a missing VG is missing too
    expect(saysNotAPv(nodeOutput('pvremove-not-a-pv').stderr)).toBe(true);
    expect(saysNotAPv(nodeOutput('pvs-json-not-a-pv').stderr)).toBe(true);
  });

  test('LVM refusals are not mistaken for "already gone"', () => {
    for (const name of ['vgremove-with-lvs', 'lvcreate-thin-again', 'pvcreate-again', 'vgcreate-again', 'pvcreate-on-fs']) {
      const out = nodeOutput(name);
      expect(out.exitCode).not.toBe(0);
      expect([name, saysLvMissing(out.stderr), saysVgMissing(out.stderr), saysNotAPv(out.stderr)]).toEqual([name, false, false, false]);
    }
  });

  test('gluster: missing volume, existing volume, already started, not a peer', () => {
    expect(saysVolumeMissing(nodeOutput('volume-delete-missing').stderr)).toBe(true);
    expect(saysVolumeMissing(nodeOutput('volume-stop-missing').stderr)).toBe(true);
    expect(saysVolumeMissing(nodeOutput('volume-info-missing').stderr)).toBe(true);
    expect(saysVolumeMissing(parseVolumeInfoXml(nodeOutput('volume-info-missing-xml').stdout).opErrstr)).toBe(true);
    expect(saysVolumeExists(nodeOutput('volume-create-again').stderr)).toBe(true);
    expect(saysAlreadyStarted(nodeOutput('volume-start-again').stderr)).toBe(true);
    expect(saysNotAPeer(nodeOutput('peer-detach-unknown').stderr)).toBe(true);
    expect(saysVolumeMissing(nodeOutput('replace-brick-again').stderr)).toBe(false);
    expect(saysVolumeMissing(nodeOutput('volume-set-bad-key').stderr)).toBe(false);
  });
});

describe('gluster volume info --xml', () => {
  test('a started replica 3 volume with its options', () => {
    const info = parseVolumeInfoXml(nodeOutput('volume-info-started-xml').stdout);
    expect(info.opRet).toBe(0);
    expect(info.volumes).toHaveLength(1);
    const v = info.volumes[0]!;
    expect(v).toMatchObject({
      name: VOL,
      id: '43620d60-d54a-47cc-bb7f-e28c471fea5e',
      status: 'Started',
      type: 'Replicate',
      brickCount: 3,
      distCount: 1,
      replicaCount: 3,
      arbiterCount: 0,
    });
    expect(v.bricks.map((b) => `${b.host}:${b.path}`)).toEqual([
      brickOn(1, 'b1000000000000000000000000000001'),
      brickOn(2, 'b2000000000000000000000000000002'),
      brickOn(3, 'b3000000000000000000000000000003'),
    ]);
    expect(v.bricks[0]).toMatchObject({ host: '10.213.0.31', hostUuid: '8506ad93-0df8-41de-baed-434807c5151a', isArbiter: false });
    expect(v.options['user.heketi.id']).toBe('5e1f0c2a9b8d47e6a3c2b1d0e9f8a7b6');
    expect(v.options['performance.readdir-ahead']).toBe('on');
    expect(Object.keys(v.options)).toHaveLength(7);
  });

  test('created (not started); expanded to 2 x 3 after a replace-brick', () => {
    expect(parseVolumeInfoXml(nodeOutput('volume-info-created-xml').stdout).volumes[0]!.status).toBe('Created');
    const v = parseVolumeInfoXml(nodeOutput('volume-info-expanded-xml').stdout).volumes[0]!;
    expect(v).toMatchObject({ type: 'Distributed-Replicate', brickCount: 6, distCount: 2, replicaCount: 3 });
    expect(v.bricks.map((b) => `${b.host}:${b.path}`)).toEqual([
      brickOn(1, 'b1000000000000000000000000000001'),
      brickOn(2, 'b2000000000000000000000000000002'),
      brickOn(3, 'b4000000000000000000000000000004'),
      brickOn(1, 'e1000000000000000000000000000001'),
      brickOn(2, 'e2000000000000000000000000000002'),
      brickOn(3, 'e3000000000000000000000000000003'),
    ]);
  });

  test('arbiter and disperse layouts', () => {
    const arbiter = parseVolumeInfoXml(nodeOutput('volume-info-arbiter-xml').stdout).volumes[0]!;
    expect(arbiter).toMatchObject({ name: 'vol_arbiter', replicaCount: 3, arbiterCount: 1 });
    expect(arbiter.bricks.map((b) => b.isArbiter)).toEqual([false, false, true]);
    const disperse = parseVolumeInfoXml(nodeOutput('volume-info-disperse-xml').stdout).volumes[0]!;
    expect(disperse).toMatchObject({ name: 'vol_disperse', type: 'Disperse', disperseCount: 3, redundancyCount: 1, brickCount: 3 });
  });

  test('a volume that does not exist: opRet -1, no volumes, exit code 0', () => {
    const missing = nodeOutput('volume-info-missing-xml');
    expect(missing.exitCode).toBe(0);
    expect(parseVolumeInfoXml(missing.stdout)).toEqual({ opRet: -1, opErrno: 30806, opErrstr: 'Volume does not exist', volumes: [] });
  });
});

describe('gluster heal info', () => {
  test('xml, clean: every brick connected with 0 entries', () => {
    const heal = parseHealInfoXml(nodeOutput('heal-info-clean-xml').stdout);
    expect(heal.opRet).toBe(0);
    expect(heal.bricks.map((b) => [b.status, b.entries])).toEqual([
      ['Connected', 0],
      ['Connected', 0],
      ['Connected', 0],
    ]);
  });

  test('xml and plain, one brick down while files were written: pending entries, the down brick has none', () => {
    const expected = [
      { address: brickOn(1, 'b1000000000000000000000000000001'), status: 'Connected', entries: 6 },
      { address: brickOn(2, 'b2000000000000000000000000000002'), status: 'Connected', entries: 6 },
      { address: brickOn(3, 'b3000000000000000000000000000003'), status: 'Transport endpoint is not connected', entries: null },
    ];
    expect(parseHealInfoXml(nodeOutput('heal-info-pending-xml').stdout).bricks).toEqual(expected);
    expect(parseHealInfoText(nodeOutput('heal-info-pending').stdout)).toEqual(expected);
    expect(parseHealInfoText(nodeOutput('heal-info-clean').stdout).map((b) => b.entries)).toEqual([0, 0, 0]);
  });

  test('xml of a volume that is not started: an error, no bricks', () => {
    const out = nodeOutput('heal-info-not-started-xml');
    expect(out.exitCode).toBe(251);
    const heal = parseHealInfoXml(out.stdout);
    expect(heal).toMatchObject({ opRet: -1, bricks: [] });
    expect(heal.opErrstr).toContain('Not able to fetch volfile');
  });
});

describe('gluster peers', () => {
  test('peer status, plain and xml', () => {
    const expected = [
      { uuid: '9bb6a75c-3861-46fa-8c9e-dc584da3bee4', hostname: '10.213.0.32', state: 'Peer in Cluster', connected: true },
      { uuid: '4b38626e-b419-4014-9090-f27b257c52f0', hostname: '10.213.0.33', state: 'Peer in Cluster', connected: true },
    ];
    expect(parsePeerStatusText(nodeOutput('peer-status').stdout)).toEqual(expected);
    expect(parsePeerStatusXml(nodeOutput('peer-status-xml').stdout).peers).toEqual(expected);
    expect(parsePeerStatusText(nodeOutput('peer-status-alone').stdout)).toEqual([]);
  });

  test('pool list, plain and xml, includes the local node', () => {
    expect(parsePoolListText(nodeOutput('pool-list').stdout)).toEqual([
      { uuid: '9bb6a75c-3861-46fa-8c9e-dc584da3bee4', hostname: '10.213.0.32', state: '', connected: true },
      { uuid: '4b38626e-b419-4014-9090-f27b257c52f0', hostname: '10.213.0.33', state: '', connected: true },
      { uuid: '8506ad93-0df8-41de-baed-434807c5151a', hostname: 'localhost', state: '', connected: true },
    ]);
    expect(parsePoolListText(nodeOutput('pool-list-alone').stdout).map((p) => p.hostname)).toEqual(['localhost']);
    const xml = parsePeerStatusXml(nodeOutput('pool-list-xml').stdout).peers;
    expect(xml.map((p) => p.hostname)).toEqual(['10.213.0.32', '10.213.0.33', 'localhost']);
    expect(() => parsePoolListText('Connection failed. Please check if gluster daemon is operational.')).toThrow(/unexpected header/);
  });
});

describe('brick addresses and the XML reader', () => {
  test('host:/path split, IPv6 hosts included', () => {
    expect(splitBrickAddress('node1:/b/x')).toEqual({ host: 'node1', path: '/b/x' });
    expect(splitBrickAddress('fd00::12:/bricks/b1')).toEqual({ host: 'fd00::12', path: '/bricks/b1' });
    expect(() => splitBrickAddress('/no/host')).toThrow(/not a brick address/);
  });

  test('entities, CDATA, comments, single-quoted attributes; malformed input throws', () => {
    const doc = parseXml(`<?xml version="1.0"?><!-- c --><a k='v&amp;w'><b>1 &lt; 2 &#x41;&#66;</b><c><![CDATA[<raw>]]></c><d/></a>`);
    expect(doc.attributes).toEqual({ k: 'v&w' });
    expect(doc.children.map((c) => [c.name, c.text])).toEqual([
      ['b', '1 < 2 AB'],
      ['c', '<raw>'],
      ['d', ''],
    ]);
    expect(() => parseXml('<a><b></a>')).toThrow(/closes/);
    expect(() => parseXml('<a>')).toThrow(/unterminated/);
    expect(() => parseXml('<a/><b/>')).toThrow(/after the root/);
    expect(() => parseXml('<a>&bogus;</a>')).toThrow(/unknown XML entity/);
    expect(() => parseVolumeInfoXml('<other/>')).toThrow(/expected <cliOutput>/);
  });
});
