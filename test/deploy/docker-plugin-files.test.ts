import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolvePluginConfig } from '../../src/docker-plugin/config';

/** deploy/docker: the systemd unit starts the plugin as the README says, and the sample config loads. */
const root = resolve(__dirname, '../..');
const read = (file: string) => readFileSync(resolve(root, file), 'utf8');

test('the unit runs `brickyard docker-plugin` with the sample config path and signals only the plugin on stop', () => {
  const unit = read('deploy/docker/brickyard-docker-plugin.service');
  const setting = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(unit)?.[1];
  expect(setting('ExecStart')).toBe('/usr/bin/brickyard docker-plugin --config /etc/brickyard/docker-plugin.json');
  // FUSE clients live in the unit's cgroup: killing the whole group would unmount under running containers
  expect(setting('KillMode')).toBe('process');
  expect(setting('Before')).toBe('docker.service');
  expect(setting('WantedBy')).toBe('multi-user.target');
});

test('the sample config is a valid plugin config', () => {
  const config = resolvePluginConfig({ config: '/etc/brickyard/docker-plugin.json' }, {}, () => read('deploy/docker/docker-plugin.json'));
  expect(config).toMatchObject({
    server: 'http://brickyard.example.com:8080',
    socket: '/run/docker/plugins/brickyard.sock',
    stateDir: '/var/lib/brickyard-docker',
    defaults: { durability: 'replicate', replica: '3' },
  });
});
