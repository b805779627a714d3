import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DRIVER_NAME } from '../../src/csi/identity';
import { parseParameters } from '../../src/csi/parameters';
import { socketPath } from '../../src/csi/server';

/**
 * No Kubernetes API server runs here: every manifest under deploy/kubernetes is parsed and what ties them
 * together is checked (driver name, socket paths, registrar paths, Secrets, service accounts, images).
 */
const root = resolve(__dirname, '../..');
const dir = join(root, 'deploy/kubernetes');
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const docs: Obj[] = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((f) =>
    parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => {
      if (d.errors.length > 0) throw new Error(`${f}: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as Obj;
    }),
  )
  .filter((d) => d !== null);

const one = (kind: string, name: string): Obj => {
  const found = docs.filter((d) => d.kind === kind && d.metadata?.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const containers = (workload: Obj): Obj[] => workload.spec.template.spec.containers;
const container = (workload: Obj, name: string): Obj => {
  const c = containers(workload).find((x) => x.name === name);
  if (!c) throw new Error(`${workload.metadata.name} has no container ${name}`);
  return c;
};
const arg = (c: Obj, flag: string): string | undefined =>
  (c.args as string[]).find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
const env = (c: Obj, name: string): Obj | undefined => (c.env as Obj[] | undefined)?.find((e) => e.name === name);
/** The host or volume directory a container path lives in, through the container's volume mounts. */
const mountFor = (c: Obj, path: string): Obj | undefined =>
  (c.volumeMounts as Obj[]).filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`)).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];

const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

test('every document is a well-formed object, namespaced ones in brickyard', () => {
  expect(docs.length).toBeGreaterThanOrEqual(20);
  const clusterScoped = new Set(['Namespace', 'CSIDriver', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass']);
  for (const d of docs) {
    expect(typeof d.apiVersion).toBe('string');
    expect(typeof d.kind).toBe('string');
    expect(d.metadata?.name).toMatch(/^[a-z0-9][a-z0-9.-]*$/);
    if (!clusterScoped.has(d.kind) && d.kind !== 'PersistentVolumeClaim') expect([d.kind, d.metadata.namespace]).toEqual([d.kind, 'brickyard']);
  }
  one('Namespace', 'brickyard');
});

test('the driver name ties the CSIDriver, the StorageClass and the registrar to the code', () => {
  const driver = one('CSIDriver', DRIVER_NAME);
  expect(driver.spec).toMatchObject({ attachRequired: false, volumeLifecycleModes: ['Persistent'] });
  const classes = docs.filter((d) => d.kind === 'StorageClass');
  expect(classes.length).toBeGreaterThan(0);
  for (const sc of classes) {
    expect(sc.provisioner).toBe(DRIVER_NAME);
    expect(sc.allowVolumeExpansion).toBe(true);
    expect(() => parseParameters(sc.parameters)).not.toThrow();
  }
  const claim = docs.find((d) => d.kind === 'PersistentVolumeClaim')!;
  expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
  expect(classes.map((c) => c.metadata.name)).toContain(claim.spec.storageClassName);
});

test('controller: the sidecars and the driver share one socket; the driver reaches Brickyard with the Secret\'s key', () => {
  const deployment = one('Deployment', 'brickyard-csi-controller');
  const driver = container(deployment, 'brickyard-csi');
  expect(driver.image).toBe(`brickyard/brickyard-csi:${version}`);
  expect(arg(driver, '--mode')).toBe('controller');
  const socket = socketPath(arg(driver, '--endpoint')!);
  const socketVolume = mountFor(driver, socket)!.name;
  for (const name of ['csi-provisioner', 'csi-resizer']) {
    const sidecar = container(deployment, name);
    expect(sidecar.image).toMatch(/^registry\.k8s\.io\/sig-storage\//);
    const address = arg(sidecar, '--csi-address')!;
    expect(mountFor(sidecar, address)!.name).toBe(socketVolume);
    expect(address.slice(mountFor(sidecar, address)!.mountPath.length)).toBe(socket.slice(mountFor(driver, socket)!.mountPath.length));
    expect(sidecar.args).toContain('--leader-election');
  }
  // Brickyard's Service and the URL the driver is given agree
  const url = new URL(env(driver, 'BRICKYARD_URL')!.value);
  const service = one('Service', url.hostname.split('.')[0]!);
  expect(url.hostname).toBe(`${service.metadata.name}.${service.metadata.namespace}.svc`);
  expect(service.spec.ports.map((p: Obj) => p.port)).toContain(Number(url.port));
  const brickyard = one('Deployment', 'brickyard');
  expect(service.spec.selector).toEqual(brickyard.spec.template.metadata.labels);
  const admin = env(driver, 'BRICKYARD_KEY')!.valueFrom.secretKeyRef;
  expect(env(container(brickyard, 'brickyard'), 'HEKETI_ADMIN_KEY')!.valueFrom.secretKeyRef).toEqual(admin);
  expect(env(driver, 'BRICKYARD_USER')!.value).toBe('admin');
});

test('node: registrar paths, privileged driver with Bidirectional propagation of kubelet\'s directory', () => {
  const ds = one('DaemonSet', 'brickyard-csi-node');
  const volumes = new Map<string, Obj>(ds.spec.template.spec.volumes.map((v: Obj) => [v.name, v]));
  const registrar = container(ds, 'node-driver-registrar');
  const driver = container(ds, 'brickyard-csi');
  expect(driver.image).toBe(`brickyard/brickyard-csi:${version}`);
  expect(arg(driver, '--mode')).toBe('node');
  expect(driver.securityContext.privileged).toBe(true);
  // the socket: the driver's endpoint and the registrar's address are one file, and kubelet's path to it is
  // the host directory of that volume
  const socket = socketPath(arg(driver, '--endpoint')!);
  const driverMount = mountFor(driver, socket)!;
  const address = arg(registrar, '--csi-address')!;
  const registrarMount = mountFor(registrar, address)!;
  expect(registrarMount.name).toBe(driverMount.name);
  const hostDir = volumes.get(driverMount.name)!.hostPath.path;
  expect(hostDir).toBe(`/var/lib/kubelet/plugins/${DRIVER_NAME}`);
  expect(arg(registrar, '--kubelet-registration-path')).toBe(join(hostDir, socket.slice(driverMount.mountPath.length)));
  expect(dirname(arg(registrar, '--kubelet-registration-path')!)).toBe(hostDir);
  // the registrar registers through kubelet's plugin registry
  const registration = (registrar.volumeMounts as Obj[]).find((m) => m.mountPath === '/registration')!;
  expect(volumes.get(registration.name)!.hostPath.path).toBe('/var/lib/kubelet/plugins_registry');
  // mounts made in the container reach kubelet and pods
  const kubelet = (driver.volumeMounts as Obj[]).find((m) => m.mountPath === '/var/lib/kubelet')!;
  expect(kubelet.mountPropagation).toBe('Bidirectional');
  expect(volumes.get(kubelet.name)!.hostPath.path).toBe('/var/lib/kubelet');
  expect((driver.volumeMounts as Obj[]).some((m) => m.mountPath === '/dev')).toBe(true);
  expect(env(driver, 'NODE_ID')!.valueFrom.fieldRef.fieldPath).toBe('spec.nodeName');
  expect(arg(driver, '--node-id')).toBe('$(NODE_ID)');
});

test('every Secret, key and service account referred to exists; RBAC binds what the sidecars need', () => {
  const secrets = new Map<string, Obj>(docs.filter((d) => d.kind === 'Secret').map((d) => [d.metadata.name, d]));
  const workloads = docs.filter((d) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(d.kind));
  let refs = 0;
  for (const w of workloads) {
    const pod = w.spec.template.spec;
    for (const c of pod.containers as Obj[]) {
      for (const e of (c.env ?? []) as Obj[]) {
        const ref = e.valueFrom?.secretKeyRef;
        if (!ref) continue;
        refs += 1;
        expect([w.metadata.name, ref.name, Object.keys(secrets.get(ref.name)?.stringData ?? {}).includes(ref.key)]).toEqual([w.metadata.name, ref.name, true]);
      }
    }
    for (const v of (pod.volumes ?? []) as Obj[]) if (v.secret) expect(secrets.has(v.secret.secretName)).toBe(true);
    if (pod.serviceAccountName) one('ServiceAccount', pod.serviceAccountName);
  }
  expect(refs).toBeGreaterThanOrEqual(5);
  for (const b of docs.filter((d) => d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding')) {
    one(b.roleRef.kind, b.roleRef.name);
    for (const s of b.subjects) one('ServiceAccount', s.name);
  }
  const rules = (name: string) => one('ClusterRole', name).rules as Obj[];
  const grants = (role: string, resource: string, verb: string) => rules(role).some((r) => r.resources.includes(resource) && r.verbs.includes(verb));
  expect(grants('brickyard-csi-provisioner', 'persistentvolumes', 'create')).toBe(true);
  expect(grants('brickyard-csi-provisioner', 'persistentvolumes', 'delete')).toBe(true);
  expect(grants('brickyard-csi-resizer', 'persistentvolumeclaims/status', 'patch')).toBe(true);
  expect(one('Role', 'brickyard-csi-leader-election').rules[0].resources).toEqual(['leases']);
  // Brickyard's database URL names the PostgreSQL Service
  const dbUrl = new URL(secrets.get('brickyard-db')!.stringData.url);
  one('Service', dbUrl.hostname);
  expect(dbUrl.password).toBe(secrets.get('brickyard-db')!.stringData.password);
});

test('the images are the ones the Dockerfile builds', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^(?=FROM )/m).filter((s) => s.startsWith('FROM '));
  const stage = (name: string) => stages.find((s) => new RegExp(`^FROM \\S+ AS ${name}$`, 'm').test(s))!;
  const entry = (s: string) => JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(s)![1]!) as string[];
  // the CSI image: `--target csi`; runs the `csi` command of bin/brickyard and has the FUSE client
  expect(entry(stage('csi'))).toEqual(['node', 'bin/brickyard', 'csi']);
  expect(stage('csi')).toMatch(/apt-get install .*glusterfs-client/);
  expect(stage('csi')).toMatch(/COPY src\/csi\/proto /);
  // the server image: the default target is the last stage
  expect(stages[stages.length - 1]).toBe(stage('server'));
  expect(entry(stage('server'))).toEqual(['node', 'dist/src/main.js']);
  const images = new Set<string>();
  for (const w of docs.filter((d) => ['Deployment', 'DaemonSet', 'StatefulSet'].includes(d.kind))) {
    for (const c of containers(w)) images.add(c.image);
  }
  const ours = [...images].filter((i) => i.startsWith('brickyard/'));
  expect(ours.sort()).toEqual([`brickyard/brickyard-csi:${version}`, `brickyard/brickyard:${version}`]);
  for (const other of [...images].filter((i) => !i.startsWith('brickyard/'))) expect(other).toMatch(/^(registry\.k8s\.io\/sig-storage\/[a-z-]+:v[\d.]+|postgres:15)$/);
});
