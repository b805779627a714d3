import { z } from 'zod';

/**
 * heketi.json, as Heketi reads it, plus Brickyard's additions. Unknown keys are kept out of the parsed
 * result; keys starting with '_' are comments. Sizes in GiB, times in seconds unless named otherwise.
 */
const commandSettings = {
  fstab: z.string().default('/etc/fstab'),
  mountopts: z.string().default('rw,inode64,noatime,nouuid'),
  pv_data_alignment: z.string().default('256K'),
  vg_physicalextentsize: z.string().default('4M'),
  lv_chunksize: z.string().default('256K'),
  xfs_sw: z.number().int().nonnegative().default(0),
  xfs_su: z.number().int().nonnegative().default(0),
  gluster_cli_timeout: z.number().int().positive().default(600),
  backup_lvm_metadata: z.boolean().default(false),
  lvm_wrapper: z.string().default(''),
  /** Brickyard: per-command timeout in seconds for non-gluster commands. */
  command_timeout: z.number().int().positive().default(300),
};

export const sshExecSchema = z.object({
  keyfile: z.string().default(''),
  user: z.string().default('root'),
  port: z.union([z.string(), z.number()]).transform(Number).default(22),
  sudo: z.boolean().default(false),
  /** Brickyard: OpenSSH known_hosts to verify host keys against; without it, keys are pinned on first use. */
  known_hosts: z.string().default(''),
  /** Brickyard: where first-seen host keys are recorded when known_hosts is not set. */
  pinned_host_keys: z.string().default(''),
  /** Brickyard: simultaneous channels per host connection. */
  max_channels: z.number().int().positive().default(8),
  connect_timeout: z.number().int().positive().default(10),
  ...commandSettings,
});

export const kubeExecSchema = z.object({
  host: z.string().default(''),
  cert: z.string().default(''),
  insecure: z.boolean().default(false),
  user: z.string().default(''),
  password: z.string().default(''),
  token: z.string().default(''),
  namespace: z.string().default(''),
  /** Brickyard: a kubeconfig file to use instead of in-cluster credentials. */
  kubeconfig: z.string().default(''),
  ...commandSettings,
});

export const mockExecSchema = z.object({
  /** Size every device reports unless a more specific one matches. */
  device_size_gib: z.number().positive().default(500),
  /** Per device name ("/dev/sdb") or per "host:/dev/sdb" or per host, GiB. */
  device_sizes: z.record(z.string(), z.number().positive()).default({}),
  /** Simulated time each call takes, ms (development and tests of slow nodes). */
  latency_ms: z.number().nonnegative().default(0),
});

export type ZoneCheckingSetting = 'strict' | 'best-effort' | 'none';

export const glusterfsSchema = z.object({
  executor: z.enum(['mock', 'ssh', 'kubernetes']).default('mock'),
  db: z.string().default('./data/brickyard'),
  /** Brickyard: how long start-up waits for PostgreSQL to accept connections (compose starts both at once). */
  db_wait_seconds: z.number().nonnegative().default(30),
  loglevel: z.enum(['none', 'critical', 'error', 'warning', 'info', 'debug']).default('info'),
  brick_min_size_gb: z.number().int().positive().default(1),
  brick_max_size_gb: z.number().int().positive().default(4096),
  max_bricks_per_volume: z.number().int().positive().default(32),
  max_volumes_per_cluster: z.number().int().positive().default(1000),
  zone_checking: z.enum(['strict', 'best-effort', 'none']).default('strict'),
  max_inflight_operations: z.number().int().positive().default(8),
  /** Brickyard: operations waiting for a slot beyond this many get 429. */
  max_queued_operations: z.number().int().positive().default(1024),
  pre_request_volume_options: z.string().default(''),
  post_request_volume_options: z.string().default(''),
  operation_retry_limits: z.object({ volume_create: z.number().int().nonnegative().default(4) }).default({ volume_create: 4 }),
  average_file_size_kb: z.number().int().positive().default(64),
  /** Brickyard: finished operations (queue entries) are kept this long, then forgotten. */
  operation_retention_hours: z.number().positive().default(168),
  /** Brickyard: a running operation whose owner stops renewing its lease for this long is recovered. */
  operation_lease_seconds: z.number().positive().default(30),
  /**
   * Brickyard: a queue poll of an operation this server is running waits up to this long for it to finish
   * before answering "pending" (fewer polls, and the answer comes as soon as it is done); 0: answer at once.
   * Unset: 250 on PostgreSQL, 0 on the embedded database (see queueWaitMs in container.ts).
   */
  queue_wait_ms: z.number().int().nonnegative().max(10_000).optional(),
  sshexec: sshExecSchema.default(sshExecSchema.parse({})),
  kubeexec: kubeExecSchema.default(kubeExecSchema.parse({})),
  mockexec: mockExecSchema.default(mockExecSchema.parse({})),
});

export const configSchema = z.object({
  port: z.union([z.string(), z.number()]).transform(String).default('8080'),
  /** Brickyard: address to listen on. */
  bind: z.string().default('0.0.0.0'),
  use_auth: z.boolean().default(false),
  jwt: z
    .object({
      admin: z.object({ key: z.string().default('') }).default({ key: '' }),
      user: z.object({ key: z.string().default('') }).default({ key: '' }),
    })
    .default({ admin: { key: '' }, user: { key: '' } }),
  enable_tls: z.boolean().default(false),
  cert_file: z.string().default(''),
  key_file: z.string().default(''),
  /** Brickyard: seconds SIGTERM waits for running operations before leaving them to the next start. */
  shutdown_grace_seconds: z.number().nonnegative().default(30),
  glusterfs: glusterfsSchema.default(glusterfsSchema.parse({})),
});

export type Config = z.infer<typeof configSchema>;
export type SshExecConfig = z.infer<typeof sshExecSchema>;
export type KubeExecConfig = z.infer<typeof kubeExecSchema>;
export type MockExecConfig = z.infer<typeof mockExecSchema>;
export type GlusterfsConfig = z.infer<typeof glusterfsSchema>;
/** The settings every command-running executor shares. */
export type CommandSettings = Pick<SshExecConfig, keyof typeof commandSettings>;
