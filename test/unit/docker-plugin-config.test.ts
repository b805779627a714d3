import { resolvePluginConfig } from '../../src/docker-plugin/config';

const files = (map: Record<string, string>) => (file: string) => map[file];

describe('docker plugin config', () => {
  it('takes flags over the environment over the config file over built-in defaults', () => {
    const file = JSON.stringify({ server: 'file:8080', user: 'fileuser', key: 'filekey', stateDir: '/srv/by', keepOnRemove: true, defaults: { size: 5, durability: 'replicate' } });
    const read = files({ '/etc/brickyard/docker-plugin.json': file });
    expect(resolvePluginConfig({}, {}, read)).toEqual({
      server: 'http://file:8080',
      user: 'fileuser',
      key: 'filekey',
      socket: '/run/docker/plugins/brickyard.sock',
      stateDir: '/srv/by',
      logDir: '/var/log/glusterfs/brickyard-docker',
      keepOnRemove: true,
      defaults: { size: '5', durability: 'replicate' },
      configFile: '/etc/brickyard/docker-plugin.json',
    });
    const env = { HEKETI_CLI_SERVER: 'https://env:1', HEKETI_CLI_USER: 'envuser', BRICKYARD_DOCKER_SOCKET: '/run/docker/plugins/x.sock' };
    expect(resolvePluginConfig({}, env, read)).toMatchObject({ server: 'https://env:1', user: 'envuser', key: 'filekey', socket: '/run/docker/plugins/x.sock' });
    expect(resolvePluginConfig({ server: 'flag:2', user: 'u', secret: 's', default: ['size=7', 'replica=2'] }, env, read)).toMatchObject({
      server: 'http://flag:2',
      user: 'u',
      key: 's',
      defaults: { size: '7', durability: 'replicate', replica: '2' },
    });
  });

  it('reads the file named by --config or BRICKYARD_DOCKER_CONFIG, which must exist', () => {
    const read = files({ '/x.json': '{"server":"x:1"}' });
    expect(resolvePluginConfig({}, { BRICKYARD_DOCKER_CONFIG: '/x.json' }, read).server).toBe('http://x:1');
    expect(() => resolvePluginConfig({ config: '/missing.json' }, {}, read)).toThrow('config file /missing.json does not exist');
  });

  it.each([
    ['{"server": ', /is not valid JSON/],
    ['[]', /must hold a JSON object/],
    ['{"sever":"x"}', /unknown setting "sever"/],
    ['{"server":"x","keepOnRemove":"yes"}', /setting keepOnRemove must be true or false/],
    ['{"server":"x","defaults":{"sise":"1"}}', /unknown default "sise"/],
    ['{"server":"x","stateDir":"relative"}', /stateDir must be an absolute path/],
    ['{"server":"ftp://x"}', /must be an http:\/\/ or https:\/\/ URL/],
  ])('refuses a config file %s', (text, message) => {
    expect(() => resolvePluginConfig({ config: '/c.json' }, {}, files({ '/c.json': text }))).toThrow(message);
  });

  it('words a bad server in its own errors', () => {
    expect(() => resolvePluginConfig({ server: 'ftp://x' }, {}, () => undefined)).toThrow('server "ftp://x" must be an http:// or https:// URL');
    expect(() => resolvePluginConfig({ server: 'http://a b' }, {}, () => undefined)).toThrow('server "http://a b" is not a valid URL');
    expect(resolvePluginConfig({ server: 'https://h:1//' }, {}, () => undefined).server).toBe('https://h:1');
  });

  it('needs a server', () => {
    expect(() => resolvePluginConfig({}, {}, () => undefined)).toThrow('the Brickyard server is not set: use --server, HEKETI_CLI_SERVER or "server" in /etc/brickyard/docker-plugin.json');
    expect(() => resolvePluginConfig({ server: 'x', default: ['size'] }, {}, () => undefined)).toThrow('--default takes key=value, not "size"');
  });
});
