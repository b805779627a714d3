/**
 * The part of a GlusterFS FUSE client's log that explains a failed mount. The log is mostly start-up noise and
 * shutdown backtraces; the reason is in lines such as "disconnected from remote-host: h", "Exhausted all volfile
 * servers" or "failed to get the 'volume file' from server". Pure, tested on log text.
 */
const NOISE = [
  /Started running version/,
  /Pid of current running process/,
  /Started thread with index/,
  /cleanup_and_exit/,
  /fuse-bridge\.c:\d+:fini\]/,
  /^\s*\d+: /, // the volfile echoed line by line
  /^\+-+\+$/,
  /Final graph:/,
];

/** "[date] E [file.c:12:func] 0-xlator: message" -> "E message" (other lines as they are). */
export function shortLogLine(line: string): string {
  const m = /^\[[^\]]+\]\s+([A-Z])\s+(?:\[MSGID: \d+\]\s+)?\[[^\]]*\]\s+[^:]*:\s+(.*)$/.exec(line);
  return m ? `${m[1]} ${m[2]!.trim()}` : line.trim();
}

export function summarizeClientLog(text: string, maxLines = 6): string {
  const lines = text
    .split('\n')
    .filter((l) => l.trim() !== '' && !NOISE.some((n) => n.test(l)))
    .map(shortLogLine);
  const unique = lines.filter((l, i) => lines.indexOf(l) === i);
  return unique.slice(-maxLines).join('\n');
}
