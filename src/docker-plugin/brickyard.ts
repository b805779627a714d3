import { HeketiError, type HeketiClient, type Json } from '../client/heketi-client';
import { PluginError } from './errors';
import type { CreateRequest } from './options';

/** What the plugin needs to know of a Brickyard volume. */
export interface VolumeSummary {
  id: string;
  name: string;
  sizeGib: number;
  durability: string;
  cluster: string;
  /** Volfile server first, then the backups. */
  servers: string[];
  bricks: number;
}

/** A delete as Remove sees it: finished within the wait, or still running on Brickyard until `done` settles. */
export interface DeleteProgress {
  finished: boolean;
  done: Promise<void>;
}

/**
 * Brickyard's volumes by name, over the JWT client. The API addresses volumes by id, so names are found by
 * listing; a name's id is remembered (and checked on use) so that Mount and Path do not list every time.
 */
export class BrickyardVolumes {
  private readonly ids = new Map<string, string>();
  /** Names whose delete this plugin started and Brickyard has not finished: no longer offered to Docker. */
  private readonly deleting = new Set<string>();

  constructor(private readonly client: HeketiClient) {}

  get server(): string {
    return this.client.server;
  }

  async create(request: CreateRequest): Promise<VolumeSummary> {
    const info = await this.call(`create volume ${request.name}`, () => this.client.volumeCreate(request as unknown as Json));
    const volume = summarize(info);
    this.ids.set(volume.name, volume.id);
    return volume;
  }

  async find(name: string): Promise<VolumeSummary | undefined> {
    if (this.deleting.has(name)) return undefined;
    const known = this.ids.get(name);
    if (known) {
      const info = await this.call(`look up volume ${name}`, () => this.client.volumeInfo(known)).catch((err: unknown) => {
        if (err instanceof NotFound) return undefined;
        throw err;
      });
      if (info && info.name === name) return summarize(info);
      this.ids.delete(name);
    }
    return (await this.all()).find((v) => v.name === name);
  }

  async all(): Promise<VolumeSummary[]> {
    const list = await this.call('list volumes', () => this.client.volumeList());
    const ids = (list.volumes ?? []) as string[];
    const volumes: VolumeSummary[] = [];
    // A few at a time: enough to be quick, not so many that a big list floods the server.
    for (let i = 0; i < ids.length; i += 8) {
      const infos = await Promise.all(
        ids.slice(i, i + 8).map((id) => this.call('list volumes', () => this.client.volumeInfo(id)).catch((err: unknown) => (err instanceof NotFound ? undefined : Promise.reject(err)))),
      );
      for (const info of infos) if (info) volumes.push(summarize(info));
    }
    const offered = volumes.filter((v) => !this.deleting.has(v.name));
    this.ids.clear();
    for (const v of offered) this.ids.set(v.name, v.id);
    return offered;
  }

  /**
   * Asks Brickyard to delete the volume and follows the delete for up to waitMs. A delete still running then
   * goes on on Brickyard (its queue is durable); the name stays hidden until it ends, and shows again if it fails.
   * A refusal or failure within waitMs is thrown.
   */
  async delete(volume: VolumeSummary, waitMs: number): Promise<DeleteProgress> {
    this.deleting.add(volume.name);
    const done = this.call(`delete volume ${volume.name}`, () => this.client.volumeDelete(volume.id))
      .then(
        () => undefined,
        (err: unknown) => {
          if (!(err instanceof NotFound)) throw err; // deleted meanwhile: what was asked for
        },
      )
      .then(() => void this.ids.delete(volume.name))
      .finally(() => this.deleting.delete(volume.name));
    done.catch(() => undefined); // a late failure is the caller's to report, through `done`
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), waitMs)));
    try {
      return { finished: await Promise.race([done.then(() => true), waited]), done };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs one API call and turns its failure into a message for the Docker prompt. */
  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw brickyardError(what, this.client.server, err);
    }
  }
}

/** A 404 from Brickyard, kept apart so that callers can treat "gone" as an answer. */
export class NotFound extends PluginError {}

export function brickyardError(what: string, server: string, err: unknown): PluginError {
  if (!(err instanceof HeketiError)) return new PluginError(`cannot ${what}: ${(err as Error).message ?? String(err)}`);
  const text = err.message.trim();
  if (err.status === 0) {
    const cause = text.replace(/^Unable to reach server \S+: /, '');
    return new PluginError(`Brickyard is unreachable at ${server} (${cause}): cannot ${what}; check that the server runs and the plugin's server setting`);
  }
  if (err.status === 401) return new PluginError(`Brickyard at ${server} refused the plugin's credentials (${text}): check user and key in the plugin's config`);
  if (err.status === 404) return new NotFound(`cannot ${what}: ${text}`);
  // Brickyard's own explanation ("No space: ...", "Volume name x is already in use ...") as it is.
  return new PluginError(`cannot ${what}: ${text}`);
}

function summarize(info: Json): VolumeSummary {
  const d = (info.durability ?? {}) as Json;
  let durability = String(d.type ?? 'none');
  if (d.type === 'replicate') durability = `replicate ${d.replicate?.replica ?? ''}`.trim();
  if (d.type === 'disperse') durability = `disperse ${d.disperse?.data ?? '?'}+${d.disperse?.redundancy ?? '?'}`;
  const glusterfs = (info.mount?.glusterfs ?? {}) as Json;
  const device = String(glusterfs.device ?? '');
  const first = device.includes(':') ? device.slice(0, device.lastIndexOf(':')) : '';
  const backups = String(glusterfs.options?.['backup-volfile-servers'] ?? '')
    .split(',')
    .filter((h) => h !== '');
  const hosts = ((glusterfs.hosts ?? []) as string[]).filter((h) => typeof h === 'string');
  const servers = [...new Set([first, ...backups, ...hosts].filter((h) => h !== ''))];
  return {
    id: String(info.id),
    name: String(info.name),
    sizeGib: Number(info.size),
    durability,
    cluster: String(info.cluster ?? ''),
    servers,
    bricks: Array.isArray(info.bricks) ? info.bricks.length : 0,
  };
}
