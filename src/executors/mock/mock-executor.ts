import { createHash } from 'node:crypto';
import type { MockExecConfig } from '../../config/schema';
import { KIB_PER_GIB, roundUpTo } from '../../domain/units';
import { brickPath, vgName } from '../../domain/model';
import {
  ExecutorError,
  type BrickAddress,
  type BrickCheck,
  type BrickSpec,
  type DeviceReport,
  type DeviceSpec,
  type GlusterVolumeInfo,
  type GlusterVolumeSpec,
  type HealInfo,
  type OperationScope,
  type StorageExecutor,
} from '../types';
import { fencedOff, InProcessFence } from '../in-process-fence';
import type { MockChanges, MockBrickState, MockDiskState, MockSnapshot, MockStateStore, MockVolumeState } from './state-store';

/**
 * MOCK executor: no remote calls. It keeps an in-memory model of each storage node (disks, volume groups,
 * bricks, gluster peers and volumes) and enforces what a real node would (space in the volume group,
 * existing signatures, bricks existing before a volume uses them), so development and tests see realistic
 * failures. Faults can be injected at any step.
 *
 * With a MockStateStore (the server's default: the database) the model also lives there: every call that may
 * change it runs under the store's lock, first reloading the model when another server (or an earlier run of
 * this one) changed it, then saving what it changed. Faults, latency and reachability stay in this process.
 */
const EXTENT_KIB = 4096;
const CALL_HISTORY = 10_000;

export type MockStep = Exclude<keyof StorageExecutor, 'kind'>;

type MockDisk = MockDiskState;
export type MockBrick = MockBrickState;
export type MockVolume = MockVolumeState;

export interface MockNode {
  host: string;
  reachable: boolean;
  glusterdUp: boolean;
  disks: Map<string, MockDisk>;
  bricks: Map<string, MockBrick>;
  peers: Set<string>;
}

interface Fault {
  /** Never answer (a node that hangs, or a process about to be killed) instead of failing. */
  hang?: boolean;
  step: MockStep;
  host?: string;
  /** Calls of this step (on that host) to let through before failing. */
  skip: number;
  /** How many calls fail once it triggers. */
  times: number;
  message: string;
}

export class MockExecutor implements StorageExecutor {
  readonly kind = 'mock' as const;
  private readonly nodes = new Map<string, MockNode>();
  private readonly volumes = new Map<string, MockVolume>();
  /** Indexes that keep every call independent of how many bricks and volumes exist: path -> host, volume. */
  private readonly brickHosts = new Map<string, string>();
  private readonly brickVolumes = new Map<string, string>();
  private faults: Fault[] = [];
  /** The most recent calls, in order (at most CALL_HISTORY), for tests that assert what was asked. */
  readonly calls: Array<{ step: MockStep; host: string; detail: string }> = [];
  /** All calls ever made. */
  callCount = 0;
  /** Simulated latency per call, ms (0 by default). */
  latencyMs = 0;
  private readonly fence = new InProcessFence();

  /** The store's version this model matches; -1: unknown, load before use. */
  private storedVersion = -1;
  /** Keys the running change touched, to save (collected only while one synchronous change runs). */
  private touched: { nodes: Set<string>; disks: Set<string>; bricks: Map<string, string>; volumes: Set<string> } | undefined;

  constructor(
    private readonly config: Pick<MockExecConfig, 'device_size_gib' | 'device_sizes'> = { device_size_gib: 500, device_sizes: {} },
    private readonly store?: MockStateStore,
  ) {}

  forOperation(scope: OperationScope): StorageExecutor {
    return this.fence.scoped(this, scope);
  }

  async barrier(host: string, scope: OperationScope): Promise<void> {
    await this.fence.barrier(host, scope);
    // Servers sharing the store run their calls in their own processes: the fence is kept with the nodes, so a
    // call of the old holder that reaches the model after this barrier is refused wherever it comes from.
    if (this.store) await this.store.withLock((session) => session.raiseFence(host, scope.id, scope.generation));
  }

  // ---- test and development controls ----

  node(host: string): MockNode {
    let node = this.nodes.get(host);
    if (!node) {
      node = { host, reachable: true, glusterdUp: true, disks: new Map(), bricks: new Map(), peers: new Set() };
      this.nodes.set(host, node);
    }
    return node;
  }

  volume(name: string): MockVolume | undefined {
    return this.volumes.get(name);
  }

  volumeNames(): string[] {
    return [...this.volumes.keys()].sort();
  }

  /** Fail the step (optionally only on one host) after letting `skip` calls through. */
  failAt(step: MockStep, options: { host?: string; skip?: number; times?: number; message?: string } = {}): void {
    this.faults.push({
      step,
      host: options.host,
      skip: options.skip ?? 0,
      times: options.times ?? 1,
      message: options.message ?? `injected failure at ${step}`,
    });
  }

  /** The step (after `skip` calls) never answers: what a crash in the middle of remote work looks like. */
  hangAt(step: MockStep, options: { host?: string; skip?: number } = {}): void {
    this.faults.push({ step, host: options.host, skip: options.skip ?? 0, times: 1, message: '', hang: true });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Put a disk with existing data on a node (device add must refuse it without destroydata). */
  addDirtyDisk(host: string, path: string): void {
    this.node(host).disks.set(path, { path, sizeKib: this.deviceSizeKib(host, path), hasSignature: true });
  }

  private deviceSizeKib(host: string, path: string): number {
    const sizes = this.config.device_sizes;
    const gib = sizes[`${host}:${path}`] ?? sizes[path] ?? sizes[host] ?? this.config.device_size_gib;
    return Math.round(gib * KIB_PER_GIB);
  }

  setDeviceSize(key: string, gib: number): void {
    this.config.device_sizes[key] = gib;
  }

  // ---- plumbing ----

  private async enter(step: MockStep, host: string, detail = ''): Promise<MockNode> {
    this.callCount += 1;
    this.calls.push({ step, host, detail });
    if (this.calls.length > CALL_HISTORY) this.calls.splice(0, this.calls.length - CALL_HISTORY);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const node = this.node(host);
    if (!node.reachable) throw new ExecutorError(host, step, `ssh: connect to host ${host}: No route to host`, true);
    for (const fault of this.faults) {
      if (fault.step !== step || (fault.host && fault.host !== host) || fault.times <= 0) continue;
      if (fault.skip > 0) {
        fault.skip -= 1;
        continue;
      }
      fault.times -= 1;
      if (fault.hang) {
        this.fence.detachCurrent();
        await new Promise<never>(() => undefined);
      }
      throw new ExecutorError(host, step, fault.message);
    }
    return node;
  }

  /**
   * Runs one change of the model (synchronous: nothing else interleaves). With a store: under its lock, on the
   * model as stored, and saves what the change touched.
   */
  private async apply<T>(change: () => T): Promise<T> {
    if (!this.store) return change();
    const call = this.fence.currentCall();
    return this.store.withLock(async (session) => {
      // the node-side generation check, at the moment the call reaches the node
      if (call && (await session.fenceOf(call.host, call.scope.id)) > call.scope.generation) throw fencedOff(call.host, call.step);
      if (session.version !== this.storedVersion) {
        this.replaceModel(await session.load());
        this.storedVersion = session.version;
      }
      const touched = { nodes: new Set<string>(), disks: new Set<string>(), bricks: new Map<string, string>(), volumes: new Set<string>() };
      this.touched = touched;
      let result: T;
      try {
        result = change();
      } finally {
        this.touched = undefined;
      }
      if (touched.nodes.size + touched.disks.size + touched.bricks.size + touched.volumes.size === 0) return result;
      this.storedVersion = -1; // until saved: a failed save leaves this model ahead of the store
      this.storedVersion = await session.save(this.changesOf(touched));
      return result;
    });
  }

  private touchNode(host: string): void {
    this.touched?.nodes.add(host);
  }

  private touchDisk(host: string, path: string): void {
    this.touched?.disks.add(JSON.stringify([host, path]));
  }

  private touchBrick(host: string, id: string): void {
    this.touched?.bricks.set(id, host);
  }

  private touchVolume(name: string): void {
    this.touched?.volumes.add(name);
  }

  private changesOf(touched: NonNullable<MockExecutor['touched']>): MockChanges {
    return {
      nodes: [...touched.nodes].map((host) => ({ host, peers: [...this.node(host).peers].sort() })),
      disks: [...touched.disks].map((key) => {
        const [host, path] = JSON.parse(key) as [string, string];
        const disk = this.nodes.get(host)?.disks.get(path);
        return { host, path, disk: disk ? structuredClone(disk) : null };
      }),
      bricks: [...touched.bricks].map(([id, host]) => {
        const brick = this.nodes.get(host)?.bricks.get(id);
        return { host, id, brick: brick ? { ...brick } : null };
      }),
      volumes: [...touched.volumes].map((name) => {
        const volume = this.volumes.get(name);
        return { name, volume: volume ? structuredClone(volume) : null };
      }),
    };
  }

  /** The stored model replaces this one; reachability and glusterd state (test controls) stay. */
  private replaceModel(snapshot: MockSnapshot): void {
    for (const node of this.nodes.values()) {
      node.disks.clear();
      node.bricks.clear();
      node.peers.clear();
    }
    this.volumes.clear();
    this.brickHosts.clear();
    this.brickVolumes.clear();
    for (const n of snapshot.nodes) for (const peer of n.peers) this.node(n.host).peers.add(peer);
    for (const d of snapshot.disks) this.node(d.host).disks.set(d.disk.path, d.disk);
    for (const b of snapshot.bricks) {
      this.node(b.host).bricks.set(b.brick.id, b.brick);
      this.brickHosts.set(b.brick.path, b.host);
    }
    for (const v of snapshot.volumes) {
      this.volumes.set(v.name, v);
      this.attach(v.name, v.bricks);
    }
  }

  private requireGlusterd(node: MockNode, step: string): void {
    if (!node.glusterdUp) {
      throw new ExecutorError(node.host, step, 'Connection failed. Please check if gluster daemon is operational.');
    }
  }

  private report(disk: MockDisk): DeviceReport {
    const vg = disk.vg!;
    const totalKib = Math.floor(disk.sizeKib / vg.extentKib) * vg.extentKib;
    return {
      totalKib,
      freeKib: vg.freeKib,
      usedKib: totalKib - vg.freeKib,
      extentKib: vg.extentKib,
      pvUuid: vg.pvUuid,
      paths: [disk.path],
      metadataSpareKib: vg.spareKib,
    };
  }

  // ---- StorageExecutor ----
  // Each call: enter (latency, faults, reachability) outside the store's lock, then one synchronous change.

  async glusterdCheck(host: string): Promise<void> {
    this.requireGlusterd(await this.enter('glusterdCheck', host), 'glusterdCheck');
  }

  async peerProbe(host: string, newStorageHost: string): Promise<void> {
    const node = await this.enter('peerProbe', host, newStorageHost);
    this.requireGlusterd(node, 'peerProbe');
    await this.apply(() => {
      node.peers.add(newStorageHost);
      this.touchNode(host);
    });
  }

  async peerDetach(host: string, storageHost: string): Promise<void> {
    const node = await this.enter('peerDetach', host, storageHost);
    this.requireGlusterd(node, 'peerDetach');
    await this.apply(() => {
      node.peers.delete(storageHost);
      this.touchNode(host);
    });
  }

  async deviceSetup(host: string, device: DeviceSpec): Promise<DeviceReport> {
    const node = await this.enter('deviceSetup', host, device.path);
    return this.apply(() => {
      let disk = node.disks.get(device.path);
      if (!disk) {
        disk = { path: device.path, sizeKib: this.deviceSizeKib(host, device.path), hasSignature: false };
        node.disks.set(device.path, disk);
        this.touchDisk(host, device.path);
      }
      const name = vgName(device.id);
      if (disk.vg?.name === name) return this.report(disk); // repeated after a crash: already ours
      if ((disk.vg || disk.hasSignature) && !device.destroyData) {
        throw new ExecutorError(
          host,
          'deviceSetup',
          `Initializing device ${device.path} failed (already initialized or contains data?)`,
        );
      }
      const pvUuid = createHash('sha256').update(`${host}:${device.path}:${device.id}`).digest('hex').slice(0, 32);
      const usable = Math.floor(disk.sizeKib / EXTENT_KIB) * EXTENT_KIB;
      disk.hasSignature = false;
      disk.vg = { name, freeKib: usable, extentKib: EXTENT_KIB, pvUuid, spareKib: 0, pools: 0 };
      this.touchDisk(host, device.path);
      return this.report(disk);
    });
  }

  async deviceTeardown(host: string, device: DeviceSpec): Promise<void> {
    const node = await this.enter('deviceTeardown', host, device.path);
    await this.apply(() => {
      const disk = node.disks.get(device.path);
      if (!disk?.vg || disk.vg.name !== vgName(device.id)) return;
      if ([...node.bricks.values()].some((b) => b.deviceId === device.id)) {
        throw new ExecutorError(host, 'deviceTeardown', `Volume group "${disk.vg.name}" still contains logical volumes`);
      }
      node.disks.delete(device.path);
      this.touchDisk(host, device.path);
    });
  }

  async deviceInfo(host: string, device: DeviceSpec): Promise<DeviceReport> {
    const node = await this.enter('deviceInfo', host, device.path);
    return this.apply(() => {
      const disk = node.disks.get(device.path);
      if (!disk?.vg || disk.vg.name !== vgName(device.id)) {
        throw new ExecutorError(host, 'deviceInfo', `Volume group "${vgName(device.id)}" not found`);
      }
      return this.report(disk);
    });
  }

  private diskOf(node: MockNode, deviceId: string): MockDisk | undefined {
    return [...node.disks.values()].find((d) => d.vg?.name === vgName(deviceId));
  }

  async brickCreate(host: string, brick: BrickSpec): Promise<void> {
    const node = await this.enter('brickCreate', host, brick.id);
    await this.apply(() => {
      if (node.bricks.has(brick.id)) return;
      const disk = this.diskOf(node, brick.deviceId);
      if (!disk?.vg) throw new ExecutorError(host, 'brickCreate', `Volume group "${vgName(brick.deviceId)}" not found`);
      const metaKib = roundUpTo(brick.poolMetadataKib, disk.vg.extentKib);
      const reservedKib = roundUpTo(brick.tpSizeKib, disk.vg.extentKib) + metaKib;
      const spareGrowth = Math.max(0, metaKib - disk.vg.spareKib);
      if (reservedKib + spareGrowth > disk.vg.freeKib) {
        throw new ExecutorError(host, 'brickCreate', `Volume group "${disk.vg.name}" has insufficient free space`);
      }
      disk.vg.freeKib -= reservedKib + spareGrowth;
      disk.vg.spareKib += spareGrowth;
      disk.vg.pools += 1;
      const path = brickPath(brick.deviceId, brick.id);
      this.brickHosts.set(path, host);
      node.bricks.set(brick.id, {
        id: brick.id,
        deviceId: brick.deviceId,
        path,
        sizeKib: brick.sizeKib,
        reservedKib,
        gid: brick.gid,
        arbiter: brick.arbiter,
      });
      this.touchDisk(host, disk.path);
      this.touchBrick(host, brick.id);
    });
  }

  async brickDestroy(host: string, brick: BrickSpec): Promise<{ poolRemoved: boolean }> {
    const node = await this.enter('brickDestroy', host, brick.id);
    return this.apply(() => {
      const existing = node.bricks.get(brick.id);
      if (!existing) return { poolRemoved: true };
      const inUse = this.brickVolumes.get(existing.path);
      if (inUse) throw new ExecutorError(host, 'brickDestroy', `brick ${existing.path} is part of volume ${inUse}`);
      const disk = this.diskOf(node, brick.deviceId);
      node.bricks.delete(brick.id);
      this.brickHosts.delete(existing.path);
      this.touchBrick(host, brick.id);
      if (disk?.vg) {
        disk.vg.freeKib += existing.reservedKib;
        disk.vg.pools -= 1;
        // the spare goes with the last pool of the volume group
        if (disk.vg.pools === 0) {
          disk.vg.freeKib += disk.vg.spareKib;
          disk.vg.spareKib = 0;
        }
        this.touchDisk(host, disk.path);
      }
      return { poolRemoved: true };
    });
  }

  async brickCheck(host: string, brick: BrickSpec): Promise<BrickCheck> {
    const node = await this.enter('brickCheck', host, brick.id);
    const there = node.bricks.get(brick.id)?.deviceId === brick.deviceId;
    return { lv: there, thinPool: there, mounted: there, fstab: there };
  }

  private requireBricks(bricks: BrickAddress[], step: string, host: string): void {
    for (const b of bricks) {
      if (!this.brickHosts.has(b.path)) {
        throw new ExecutorError(host, step, `volume ${step}: failed: brick ${b.host}:${b.path} does not exist`);
      }
      if (this.brickVolumes.has(b.path)) throw new ExecutorError(host, step, `${b.host}:${b.path} is already part of a volume`);
    }
  }

  private attach(name: string, bricks: BrickAddress[]): void {
    for (const b of bricks) this.brickVolumes.set(b.path, name);
  }

  async volumeCreate(host: string, volume: GlusterVolumeSpec): Promise<void> {
    const node = await this.enter('volumeCreate', host, volume.name);
    this.requireGlusterd(node, 'volumeCreate');
    await this.apply(() => {
      const existing = this.volumes.get(volume.name);
      if (existing) {
        const same = existing.bricks.map((b) => b.path).join() === volume.bricks.map((b) => b.path).join();
        if (same) return; // repeated after a crash
        throw new ExecutorError(host, 'volumeCreate', `volume create: ${volume.name}: failed: Volume ${volume.name} already exists`);
      }
      this.requireBricks(volume.bricks, 'volumeCreate', host);
      this.attach(volume.name, volume.bricks);
      this.volumes.set(volume.name, {
        name: volume.name,
        status: 'Started',
        bricks: [...volume.bricks],
        options: Object.fromEntries(volume.options),
      });
      this.touchVolume(volume.name);
    });
  }

  async volumeExpand(host: string, volume: GlusterVolumeSpec, newBricks: BrickAddress[]): Promise<void> {
    const node = await this.enter('volumeExpand', host, volume.name);
    this.requireGlusterd(node, 'volumeExpand');
    await this.apply(() => {
      const existing = this.volumes.get(volume.name);
      if (!existing) throw new ExecutorError(host, 'volumeExpand', `Volume ${volume.name} does not exist`);
      const fresh = newBricks.filter((b) => !existing.bricks.some((x) => x.path === b.path));
      this.requireBricks(fresh, 'volumeExpand', host);
      this.attach(volume.name, fresh);
      existing.bricks.push(...fresh);
      this.touchVolume(volume.name);
    });
  }

  async volumeDestroy(host: string, name: string): Promise<void> {
    const node = await this.enter('volumeDestroy', host, name);
    this.requireGlusterd(node, 'volumeDestroy');
    await this.apply(() => {
      for (const b of this.volumes.get(name)?.bricks ?? []) this.brickVolumes.delete(b.path);
      this.volumes.delete(name);
      this.touchVolume(name);
    });
  }

  async volumeInfo(host: string, name: string): Promise<GlusterVolumeInfo | null> {
    const node = await this.enter('volumeInfo', host, name);
    this.requireGlusterd(node, 'volumeInfo');
    return this.apply(() => {
      const v = this.volumes.get(name);
      return v ? { name: v.name, status: v.status, bricks: [...v.bricks], options: { ...v.options } } : null;
    });
  }

  async replaceBrick(host: string, name: string, from: BrickAddress, to: BrickAddress): Promise<void> {
    const node = await this.enter('replaceBrick', host, `${name} ${from.path} ${to.path}`);
    this.requireGlusterd(node, 'replaceBrick');
    await this.apply(() => {
      const v = this.volumes.get(name);
      if (!v) throw new ExecutorError(host, 'replaceBrick', `Volume ${name} does not exist`);
      const index = v.bricks.findIndex((b) => b.path === from.path);
      if (index < 0) throw new ExecutorError(host, 'replaceBrick', `brick ${from.host}:${from.path} is not part of ${name}`);
      this.requireBricks([to], 'replaceBrick', host);
      this.brickVolumes.delete(from.path);
      this.attach(name, [to]);
      v.bricks[index] = to;
      this.touchVolume(name);
    });
  }

  async healInfo(host: string, name: string): Promise<HealInfo> {
    const node = await this.enter('healInfo', host, name);
    this.requireGlusterd(node, 'healInfo');
    return this.apply(() => {
      const v = this.volumes.get(name);
      if (!v) throw new ExecutorError(host, 'healInfo', `Volume ${name} does not exist`);
      return { entries: Object.fromEntries(v.bricks.map((b) => [`${b.host}:${b.path}`, 0])) };
    });
  }
}
