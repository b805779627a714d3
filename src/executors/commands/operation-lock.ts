import { checkId } from './validate';

/**
 * The node side of operation fencing, as pure command-line builders. Every command of an operation runs
 * holding a shared flock on /run/lock/brickyard/op-<id>.lock, after checking that the operation's
 * generation file does not name a newer holder; a server taking the operation over runs the barrier, which
 * takes the lock exclusively (so it waits until the previous holder's command on that node has ended) and
 * writes the new generation. /run is a tmpfs: the files vanish at reboot, along with any command.
 */
export const OPERATION_LOCK_DIR = '/run/lock/brickyard';
/** Exit status of a command refused by the fence (EX_TEMPFAIL). */
export const FENCED_EXIT = 75;
export const FENCED_MESSAGE = 'brickyard: operation taken over by a newer holder';

const files = (id: string) => {
  checkId('operation id', id);
  const base = `${OPERATION_LOCK_DIR}/op-${id}`;
  return { lock: `${base}.lock`, gen: `${base}.gen` };
};

const generation = (g: number): number => {
  if (!Number.isSafeInteger(g) || g < 0) throw new Error(`bad operation generation ${g}`);
  return g;
};

/** `command` run under the operation's shared lock, refused if a newer generation passed a barrier. */
export function underOperationLock(id: string, gen: number, command: string, waitSeconds: number): string {
  const f = files(id);
  return (
    `mkdir -p ${OPERATION_LOCK_DIR} && exec 9>>${f.lock} && flock -s -w ${Math.ceil(waitSeconds)} 9 ` +
    `|| { echo '${FENCED_MESSAGE}' >&2; exit ${FENCED_EXIT}; }; ` +
    `g=$(cat ${f.gen} 2>/dev/null || echo 0); ` +
    `if [ "$g" -gt ${generation(gen)} ]; then echo '${FENCED_MESSAGE}' >&2; exit ${FENCED_EXIT}; fi; ` +
    command
  );
}

/** Waits for every holder of the shared lock to finish, then records `gen` as the newest generation. */
export function operationBarrier(id: string, gen: number, waitSeconds: number): string {
  const f = files(id);
  return (
    `mkdir -p ${OPERATION_LOCK_DIR} && exec 9>>${f.lock} && flock -x -w ${Math.ceil(waitSeconds)} 9 && ` +
    `g=$(cat ${f.gen} 2>/dev/null || echo 0) && ` +
    `if [ "$g" -lt ${generation(gen)} ]; then echo ${generation(gen)} > ${f.gen}; fi`
  );
}
