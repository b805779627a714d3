import type { Knex } from 'knex';
import { OperationRun } from '../../src/app/operation-run';
import { deviceAdd } from '../../src/app/operations/device-add';
import { evict } from '../../src/app/operations/evict';
import { nodeAdd } from '../../src/app/operations/node-add';
import type { AnyOperation } from '../../src/app/operations/operation';
import { volumeCreate } from '../../src/app/operations/volume-create';
import { volumeDelete } from '../../src/app/operations/volume-delete';
import { volumeExpand } from '../../src/app/operations/volume-expand';
import { beginOperation } from '../../src/app/runner';
import { takePending } from '../../src/db/repositories/operations';
import { appHarness, complete, expectBooksExact, freeByDevice, seedTopology, type AppHarness } from '../support/app-context';
import { startVolumeCreate } from '../../src/app/operations';

/**
 * Each operation's phases called one by one, as Heketi tests its operations: build (through the runner's
 * build transaction), then exec, finalize and rollback directly, on PGlite in memory with the mock
 * executor, asserting the rows after each phase.
 */
let h: AppHarness;
let topology: Awaited<ReturnType<typeof seedTopology>>;
let baseline: Map<string, number>;

beforeEach(async () => {
  h = await appHarness();
  topology = await seedTopology(h, 4);
  baseline = await freeByDevice(h.db);
});
afterEach(async () => h.close());

/** Build, then take the operation as the runner would; the run to call the phases on. */
async function built(def: AnyOperation, input: unknown): Promise<OperationRun<any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const { opId } = await beginOperation(h.ctx, def, input, 'admin');
  const op = await takePending(h.db, opId, h.ctx.instanceId, h.ctx.leaseSeconds);
  return new OperationRun(h.ctx, op!, def.payload.parse(op!.payload), Date.now());
}

const finalize = (def: AnyOperation, run: OperationRun<unknown>) => run.write((trx: Knex.Transaction) => def.finalize(trx, run));
const rows = (table: string) => h.db(table).select('*');
const bricksOnNodes = () => [0, 1, 2, 3].reduce((n, i) => n + h.mock.node(`node${i}.example.com`).bricks.size, 0);

const input = (name: string, sizeGib = 5) => ({
  name,
  sizeGib,
  durability: { type: 'replicate' as const, replica: 3 },
  gid: 0,
  snapshot: { enable: false, factor: 1 },
  glusterVolumeOptions: [],
  clusters: [],
});

describe('volume create', () => {
  test('build reserves and records pending rows; exec makes them on the nodes; finalize shows them', async () => {
    const run = await built(volumeCreate, input('phased'));
    const [volume] = await rows('volumes');
    expect(volume).toMatchObject({ name: 'phased', state: 'pending' });
    expect((await rows('bricks')).map((b) => b.state)).toEqual(['pending', 'pending', 'pending']);
    await expectBooksExact(h.db, baseline); // the reservation is already taken from free
    expect(bricksOnNodes()).toBe(0);

    await volumeCreate.exec(run);
    expect(bricksOnNodes()).toBe(3);
    expect(h.mock.volumeNames()).toEqual(['phased']);
    expect(run.payload.glusterCreateStarted).toBe(true);
    expect((await rows('volumes'))[0].state).toBe('pending');

    expect(await finalize(volumeCreate, run)).toBe(`/volumes/${volume.id}`);
    expect((await rows('volumes'))[0].state).toBe('online');
    expect((await rows('bricks')).every((b) => b.state === 'online')).toBe(true);
    await expectBooksExact(h.db, baseline);
  });

  test('rollback after exec removes everything and gives the space back', async () => {
    const run = await built(volumeCreate, input('undone'));
    await volumeCreate.exec(run);
    expect(await volumeCreate.rollback(run, new Error('test'))).toEqual({ kind: 'undone' });
    expect(await rows('volumes')).toEqual([]);
    expect(await rows('bricks')).toEqual([]);
    expect(bricksOnNodes()).toBe(0);
    expect(h.mock.volumeNames()).toEqual([]);
    expect(await freeByDevice(h.db)).toEqual(baseline);
  });

});

describe('volume expand', () => {
  test('build reserves new sets; exec adds them; finalize grows the volume', async () => {
    await complete(h, startVolumeCreate(h.ctx, input('grow'), 'admin'));
    const [volume] = await rows('volumes');
    const run = await built(volumeExpand, { volumeId: volume.id, expandGib: 4 });
    expect((await rows('bricks')).filter((b) => b.state === 'pending')).toHaveLength(3);
    await expectBooksExact(h.db, baseline);

    await volumeExpand.exec(run);
    expect(h.mock.volume('grow')!.bricks).toHaveLength(6);
    expect(Number((await rows('volumes'))[0].size_gib)).toBe(5);

    await finalize(volumeExpand, run);
    expect(Number((await rows('volumes'))[0].size_gib)).toBe(9);
    expect((await rows('bricks')).every((b) => b.state === 'online')).toBe(true);
    await expectBooksExact(h.db, baseline);
  });

  test('a finalize that finds fewer rows than it expects aborts and changes nothing', async () => {
    await complete(h, startVolumeCreate(h.ctx, input('short'), 'admin'));
    const [volume] = await rows('volumes');
    const run = await built(volumeExpand, { volumeId: volume.id, expandGib: 4 });
    await volumeExpand.exec(run);
    // someone else removed one of the new brick rows (what a server that lost the operation could do)
    await h.db('bricks').where({ id: run.payload.brickIds[0] }).delete();
    await expect(finalize(volumeExpand, run)).rejects.toThrow(/new bricks: expected 3 row\(s\), changed 2/);
    expect(Number((await rows('volumes'))[0].size_gib)).toBe(5);
    expect((await rows('bricks')).filter((b) => b.state === 'pending')).toHaveLength(2);
  });

  test('rollback keeps an expansion gluster already took, and undoes one it did not', async () => {
    await complete(h, startVolumeCreate(h.ctx, input('grow2'), 'admin'));
    const [volume] = await rows('volumes');
    const kept = await built(volumeExpand, { volumeId: volume.id, expandGib: 2 });
    await volumeExpand.exec(kept);
    expect(await volumeExpand.rollback(kept, new Error('crash'))).toEqual({ kind: 'kept', resultPath: `/volumes/${volume.id}` });
    expect(Number((await rows('volumes'))[0].size_gib)).toBe(7);
    await h.db('operations').update({ state: 'succeeded', owner: null });

    const undone = await built(volumeExpand, { volumeId: volume.id, expandGib: 2 });
    h.mock.failAt('volumeExpand', { message: 'add-brick refused' });
    await expect(volumeExpand.exec(undone)).rejects.toThrow(/add-brick refused/);
    expect(await volumeExpand.rollback(undone, new Error('add-brick refused'))).toEqual({ kind: 'undone' });
    expect(Number((await rows('volumes'))[0].size_gib)).toBe(7);
    expect(await rows('bricks')).toHaveLength(6) // the 3 of the create and the 3 kept; the undone ones are gone;
    await expectBooksExact(h.db, baseline);
  });
});

describe('volume delete', () => {
  test('build marks it deleting; exec removes it from the nodes and credits the deleted rows; finalize drops it', async () => {
    await complete(h, startVolumeCreate(h.ctx, input('gone'), 'admin'));
    const [volume] = await rows('volumes');
    const run = await built(volumeDelete, volume.id);
    expect((await rows('volumes'))[0].state).toBe('deleting');

    await volumeDelete.exec(run);
    expect(h.mock.volumeNames()).toEqual([]);
    expect(await rows('bricks')).toEqual([]);
    expect(await freeByDevice(h.db)).toEqual(baseline);
    expect(run.payload.glusterVolumeDeleted).toBe(true);

    await finalize(volumeDelete, run);
    expect(await rows('volumes')).toEqual([]);
    await expectBooksExact(h.db, baseline);
  });

  test('rollback before the point of no return puts the volume back online; after it, says finish', async () => {
    await complete(h, startVolumeCreate(h.ctx, input('kept'), 'admin'));
    const [volume] = await rows('volumes');
    const run = await built(volumeDelete, volume.id);
    expect(await volumeDelete.rollback(run, new Error('x'))).toEqual({ kind: 'undone' });
    expect((await rows('volumes'))[0].state).toBe('online');
    run.payload = { ...run.payload, glusterVolumeDeleted: true };
    expect(await volumeDelete.rollback(run, new Error('x'))).toEqual({ kind: 'finish' });
  });
});

describe('node and device add', () => {
  test('a node is pending until finalize; rollback removes it', async () => {
    const nodeInput = { clusterId: topology.clusterId, zone: 1, manageHostnames: ['extra.example.com'], storageHostnames: ['10.9.0.99'], tags: {} };
    const run = await built(nodeAdd, nodeInput);
    const node = await h.db('nodes').where({ id: run.payload.nodeId }).first();
    expect(node.lifecycle).toBe('pending');
    await nodeAdd.exec(run);
    expect(run.payload.probedFrom).not.toBeNull();
    await finalize(nodeAdd, run);
    expect((await h.db('nodes').where({ id: run.payload.nodeId }).first()).lifecycle).toBe('ready');

    const again = await built(nodeAdd, { ...nodeInput, manageHostnames: ['extra2.example.com'], storageHostnames: ['10.9.0.98'] });
    await nodeAdd.exec(again);
    expect(await nodeAdd.rollback(again, new Error('x'))).toEqual({ kind: 'undone' });
    expect(await h.db('nodes').where({ id: again.payload.nodeId }).first()).toBeUndefined();
  });

  test('a device gets its size from the node in exec and is ready after finalize; rollback tears it down', async () => {
    const run = await built(deviceAdd, { nodeId: topology.nodeIds[0], name: '/dev/sdc', destroyData: false, tags: {} });
    expect((await h.db('devices').where({ id: run.payload.deviceId }).first()).lifecycle).toBe('pending');
    await deviceAdd.exec(run);
    expect(Number((await h.db('devices').where({ id: run.payload.deviceId }).first()).total_kib)).toBeGreaterThan(0);
    await finalize(deviceAdd, run);
    expect((await h.db('devices').where({ id: run.payload.deviceId }).first()).lifecycle).toBe('ready');

    const other = await built(deviceAdd, { nodeId: topology.nodeIds[1], name: '/dev/sdc', destroyData: false, tags: {} });
    await deviceAdd.exec(other);
    expect(await deviceAdd.rollback(other, new Error('crash'))).toEqual({ kind: 'undone' });
    expect(await h.db('devices').where({ id: other.payload.deviceId }).first()).toBeUndefined();
    expect(h.mock.node('node1.example.com').disks.get('/dev/sdc')?.vg).toBeFalsy();
  });
});

describe('eviction', () => {
  test('build takes the device offline remembering its state; exec moves its bricks; finalize marks it failed', async () => {
    await complete(h, startVolumeCreate(h.ctx, input('evicted'), 'admin'));
    const deviceId = (await h.db('bricks').first('device_id')).device_id as string;
    const run = await built(evict, { kind: 'device', id: deviceId });
    expect((await h.db('devices').where({ id: deviceId }).first()).state).toBe('offline');
    expect(run.payload.previous.devices[deviceId]).toBe('online');

    await evict.exec(run);
    expect(await h.db('bricks').where({ device_id: deviceId })).toEqual([]);
    expect(await rows('bricks')).toHaveLength(3);
    expect(run.payload.moved).toBe(1);
    await finalize(evict, run);
    expect((await h.db('devices').where({ id: deviceId }).first()).state).toBe('failed');
    await expectBooksExact(h.db, baseline);
  });

  test('a moved brick of an imported volume gets a thin pool of its own name, not the Heketi pool of the brick it replaces', async () => {
    await complete(h, startVolumeCreate(h.ctx, input('imported', 5), 'admin'));
    const old = await h.db('bricks').first('id', 'device_id');
    // as an import records a brick whose pool Heketi did not name tp_<brick id>
    await h.db('bricks').where({ id: old.id }).update({ thin_pool: 'tp_heketi_named_pool' });
    const created: Array<{ id: string; thinPool?: string }> = [];
    const original = h.mock.brickCreate.bind(h.mock);
    const brickCreate = jest.spyOn(h.mock, 'brickCreate').mockImplementation(async (host, brick) => {
      created.push({ id: brick.id, thinPool: brick.thinPool });
      return original(host, brick);
    });
    const run = await built(evict, { kind: 'device', id: old.device_id });
    await evict.exec(run);
    brickCreate.mockRestore();
    expect(created).toHaveLength(1);
    expect(created[0]!.id).not.toBe(old.id);
    expect(created[0]!.thinPool).toBeUndefined();
    expect((await h.db('bricks').where({ id: created[0]!.id }).first()).thin_pool ?? null).toBeNull();
  });

  test('rollback gives the node and its devices the states they had', async () => {
    await complete(h, startVolumeCreate(h.ctx, input('stay', 5), 'admin'));
    const nodeId = topology.nodeIds[3];
    await h.db('nodes').where({ id: nodeId }).update({ state: 'online' });
    const run = await built(evict, { kind: 'node', id: nodeId });
    expect((await h.db('nodes').where({ id: nodeId }).first()).state).toBe('offline');
    expect(await evict.rollback(run, new Error('cannot move'))).toEqual({ kind: 'undone' });
    expect((await h.db('nodes').where({ id: nodeId }).first()).state).toBe('online');
    expect((await h.db('devices').where({ node_id: nodeId })).map((d) => d.state)).toEqual(['online']);
  });
});
