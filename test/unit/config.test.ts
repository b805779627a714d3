import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load';
import { queueWaitMs } from '../../src/container';

const dir = mkdtempSync(join(tmpdir(), 'brickyard-config-'));
function file(content: unknown): string {
  const path = join(dir, `${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('heketi.json', () => {
  test('defaults: embedded database, mock executor, port 8080, strict zones', () => {
    const c = loadConfig(undefined, {});
    expect(c.port).toBe('8080');
    expect(c.use_auth).toBe(false);
    expect(c.glusterfs.executor).toBe('mock');
    expect(c.glusterfs.db).toBe('./data/brickyard');
    expect(c.glusterfs.zone_checking).toBe('strict');
    expect(c.glusterfs.max_inflight_operations).toBe(8);
    expect(c.glusterfs.sshexec.port).toBe(22);
    expect(c.glusterfs.sshexec.mountopts).toBe('rw,inode64,noatime,nouuid');
  });

  test("Heketi's keys are read and '_' comment keys ignored at every level", () => {
    const c = loadConfig(
      file({
        _comment: 'x',
        port: '9090',
        use_auth: true,
        jwt: { admin: { key: 'a' }, user: { key: 'u' } },
        glusterfs: { _c: 1, executor: 'ssh', db: 'postgres://u:p@db/brickyard', sshexec: { _x: 'y', keyfile: '/k', user: 'gl', port: '2222', sudo: true }, brick_max_size_gb: 100 },
      }),
      {},
    );
    expect(c.port).toBe('9090');
    expect(c.jwt.admin.key).toBe('a');
    expect(c.glusterfs.executor).toBe('ssh');
    expect(c.glusterfs.sshexec).toMatchObject({ keyfile: '/k', user: 'gl', port: 2222, sudo: true });
    expect(c.glusterfs.brick_max_size_gb).toBe(100);
  });

  test('environment variables override the file', () => {
    const c = loadConfig(file({ use_auth: true, jwt: { admin: { key: 'file' } }, glusterfs: { db: '/var/lib/x' } }), {
      HEKETI_ADMIN_KEY: 'env-admin',
      HEKETI_USER_KEY: 'env-user',
      BRICKYARD_DB_URL: 'postgres://postgres@127.0.0.1/brickyard',
      HEKETI_EXECUTOR: 'kubernetes',
      HEKETI_ZONE_CHECKING: 'best-effort',
      BRICKYARD_PORT: '7000',
    });
    expect(c.jwt.admin.key).toBe('env-admin');
    expect(c.jwt.user.key).toBe('env-user');
    expect(c.glusterfs.db).toBe('postgres://postgres@127.0.0.1/brickyard');
    expect(c.glusterfs.executor).toBe('kubernetes');
    expect(c.glusterfs.zone_checking).toBe('best-effort');
    expect(c.port).toBe('7000');
  });

  test('bad files are refused with the reason', () => {
    expect(() => loadConfig(join(dir, 'missing.json'), {})).toThrow(/cannot read config file/);
    expect(() => loadConfig(file('{ not json'), {})).toThrow(/is not valid JSON/);
    expect(() => parseConfig({ glusterfs: { executor: 'telnet' } })).toThrow(/glusterfs\.executor/);
    expect(() => parseConfig({ glusterfs: { zone_checking: 'sometimes' } })).toThrow(ConfigError);
    expect(() => parseConfig({ use_auth: true })).toThrow(/use_auth needs jwt\.admin\.key/);
  });
});

test('queue polls wait 250 ms on PostgreSQL and not at all on the embedded database, unless set', () => {
  expect(queueWaitMs(parseConfig({ glusterfs: { db: 'postgres://u@127.0.0.1:5432/b' } }))).toBe(250);
  expect(queueWaitMs(parseConfig({ glusterfs: { db: './data/brickyard' } }))).toBe(0);
  expect(queueWaitMs(parseConfig({ glusterfs: { db: 'memory://' } }))).toBe(0);
  expect(queueWaitMs(parseConfig({ glusterfs: { db: './data/brickyard', queue_wait_ms: 100 } }))).toBe(100);
  expect(queueWaitMs(parseConfig({ glusterfs: { db: 'postgres://u@127.0.0.1:5432/b', queue_wait_ms: 0 } }))).toBe(0);
  expect(() => parseConfig({ glusterfs: { queue_wait_ms: -1 } })).toThrow(ConfigError);
});
