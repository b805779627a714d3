import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One server per embedded data directory: PGlite has no server process of its own, so two Brickyards on one
 * directory would write the same files. The first start creates `brickyard.lock` (O_EXCL) holding its pid; a
 * later start refuses while that pid lives, and takes over a lock whose process is gone (a killed server).
 */
export const LOCK_FILE = 'brickyard.lock';

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

export interface DataDirLock {
  path: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): { text: string; pid: number } | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    return { text, pid: Number.parseInt(text, 10) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function tryCreate(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function refuse(dir: string, pid: number): never {
  throw new DataDirLockedError(
    `data directory ${dir} is in use by another brickyard (pid ${pid}); stop it, or give this one another glusterfs.db`,
  );
}

/** Takes the directory's lock or throws DataDirLockedError naming the holder. */
export function lockDataDir(dir: string): DataDirLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const mine = `${process.pid}\n`;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    if (tryCreate(path, mine)) {
      return {
        path,
        release() {
          // only our own lock: a server that lost it to a takeover must not remove the new owner's
          if (readOwner(path)?.text === mine) unlinkSync(path);
        },
      };
    }
    const owner = readOwner(path);
    if (!owner) continue; // released meanwhile
    if (Number.isInteger(owner.pid) && owner.pid > 0 && alive(owner.pid)) refuse(dir, owner.pid);
    // Stale: move it aside atomically; if what moved is not the stale lock we read, another start took over first.
    const aside = `${path}.stale-${process.pid}`;
    try {
      renameSync(path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const moved = readOwner(aside);
    if (moved && moved.text !== owner.text) {
      try {
        linkSync(aside, path); // give it back; fails only if yet another start got in
      } catch {
        /* the lock is someone else's either way */
      }
      unlinkSync(aside);
      refuse(dir, moved.pid);
    }
    unlinkSync(aside);
  }
  throw new DataDirLockedError(`could not take the lock of data directory ${dir} (${path}): it keeps changing`);
}
