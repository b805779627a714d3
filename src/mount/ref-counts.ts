import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Who holds each mounted volume on this host (Docker's mount ids, CSI's target paths), persisted as JSON so
 * that a restarted plugin knows which mounts are in use. Written to a temporary file, synced and renamed, so
 * the state file is always either the old or the new version. Rebuilt at start by reconciling the file with
 * the mount table: a volume whose mount is gone loses its holders (the host rebooted or someone unmounted
 * it); a mount found under the plugin's directory that the file does not know is adopted with no holders.
 */
export interface VolumeRefs {
  mountPoint: string;
  holders: string[];
}

interface StateFile {
  version: 1;
  volumes: Record<string, VolumeRefs>;
}

export interface Reconciliation {
  /** Volumes the state file named whose mount point is no longer mounted: their holders were dropped. */
  dropped: Array<{ volume: string; mountPoint: string; holders: string[] }>;
  /** Mounts the state file did not know, kept with no holders. */
  adopted: Array<{ volume: string; mountPoint: string }>;
}

export interface ReconcileInput {
  /** Is this path mounted now (from the mount table)? */
  isMounted: (mountPoint: string) => boolean;
  /** Mounts present that belong to this service (volume name and mount point), for adoption. */
  present?: Array<{ volume: string; mountPoint: string }>;
}

export class RefCounts {
  private volumes = new Map<string, VolumeRefs>();
  private saving: Promise<void> = Promise.resolve();

  private constructor(readonly file: string) {}

  /** Loads the state file (missing = empty) and reconciles it with what is mounted; saves the result. */
  static async open(file: string, input: ReconcileInput): Promise<{ refs: RefCounts; reconciliation: Reconciliation }> {
    const refs = new RefCounts(file);
    const stored = await readState(file);
    const reconciliation: Reconciliation = { dropped: [], adopted: [] };
    for (const [volume, entry] of Object.entries(stored.volumes)) {
      if (input.isMounted(entry.mountPoint)) {
        refs.volumes.set(volume, { mountPoint: entry.mountPoint, holders: [...new Set(entry.holders)] });
      } else if (entry.holders.length > 0) {
        reconciliation.dropped.push({ volume, mountPoint: entry.mountPoint, holders: entry.holders });
      }
    }
    for (const { volume, mountPoint } of input.present ?? []) {
      if (!refs.volumes.has(volume)) {
        refs.volumes.set(volume, { mountPoint, holders: [] });
        reconciliation.adopted.push({ volume, mountPoint });
      }
    }
    await refs.save();
    return { refs, reconciliation };
  }

  get(volume: string): VolumeRefs | undefined {
    const entry = this.volumes.get(volume);
    return entry && { mountPoint: entry.mountPoint, holders: [...entry.holders] };
  }

  count(volume: string): number {
    return this.volumes.get(volume)?.holders.length ?? 0;
  }

  /** Every volume this host has mounted (with or without holders). */
  list(): Array<{ volume: string } & VolumeRefs> {
    return [...this.volumes].map(([volume, e]) => ({ volume, mountPoint: e.mountPoint, holders: [...e.holders] }));
  }

  /** Adds a holder (adding one twice counts once); returns the number of holders. */
  async add(volume: string, holder: string, mountPoint: string): Promise<number> {
    const entry = this.volumes.get(volume) ?? { mountPoint, holders: [] };
    entry.mountPoint = mountPoint;
    if (!entry.holders.includes(holder)) entry.holders.push(holder);
    this.volumes.set(volume, entry);
    await this.save();
    return entry.holders.length;
  }

  /** Removes a holder (an unknown one changes nothing); returns the number left. */
  async remove(volume: string, holder: string): Promise<number> {
    const entry = this.volumes.get(volume);
    if (!entry) return 0;
    const before = entry.holders.length;
    entry.holders = entry.holders.filter((h) => h !== holder);
    if (entry.holders.length !== before) await this.save();
    return entry.holders.length;
  }

  /** Forgets a volume once it is unmounted. */
  async forget(volume: string): Promise<void> {
    if (this.volumes.delete(volume)) await this.save();
  }

  /** Writes the state; saves run one after another so an older state never lands after a newer one. */
  save(): Promise<void> {
    const snapshot: StateFile = { version: 1, volumes: Object.fromEntries(this.volumes) };
    const text = `${JSON.stringify(snapshot, null, 2)}\n`;
    const next = this.saving.catch(() => undefined).then(() => writeAtomically(this.file, text));
    this.saving = next;
    return next;
  }
}

async function readState(file: string): Promise<StateFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, volumes: {} };
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<StateFile>;
  if (parsed.version !== 1 || typeof parsed.volumes !== 'object' || parsed.volumes === null) {
    throw new Error(`${file}: not a mount state file (version 1)`);
  }
  const volumes: Record<string, VolumeRefs> = {};
  for (const [name, entry] of Object.entries(parsed.volumes)) {
    if (typeof entry?.mountPoint !== 'string' || !Array.isArray(entry.holders)) throw new Error(`${file}: bad entry for ${name}`);
    volumes[name] = { mountPoint: entry.mountPoint, holders: entry.holders.filter((h): h is string => typeof h === 'string') };
  }
  return { version: 1, volumes };
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
