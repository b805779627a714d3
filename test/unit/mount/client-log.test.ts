import { shortLogLine, summarizeClientLog } from '../../../src/mount/client-log';

const UNREACHABLE = `[2026-12-02 03:34:49.815382 +0000] I [MSGID: 100030] [glusterfsd.c:2767:main] 0-/usr/sbin/glusterfs: Started running version [{arg=/usr/sbin/glusterfs}, {version=10.3}]
[2026-12-02 03:34:49.856733 +0000] I [glusterfsd.c:2447:daemonize] 0-glusterfs: Pid of current running process is 19621
[2026-12-02 03:34:49.969745 +0000] I [MSGID: 101190] [event-epoll.c:667:event_dispatch_epoll_worker] 0-epoll: Started thread with index [{index=0}]
[2026-12-02 03:34:49.978583 +0000] I [glusterfsd-mgmt.c:2673:mgmt_rpc_notify] 0-glusterfsd-mgmt: disconnected from remote-host: 127.0.0.1
[2026-12-02 03:34:49.978618 +0000] I [glusterfsd-mgmt.c:2712:mgmt_rpc_notify] 0-glusterfsd-mgmt: Exhausted all volfile servers
[2026-12-02 03:34:49.979776 +0000] W [glusterfsd.c:1458:cleanup_and_exit] (-->/lib/x86_64-linux-gnu/libgfrpc.so.0(+0xf965) [0x7fa936279965] ) 0-: received signum (1), shutting down
[2026-12-02 03:34:49.980000 +0000] I [fuse-bridge.c:7065:fini] 0-fuse: Unmounting '/tmp/dk-mt/g'.
[2026-12-02 03:34:49.999151 +0000] I [fuse-bridge.c:7069:fini] 0-fuse: Closing fuse connection to '/tmp/dk-mt/g'.
`;

describe('GlusterFS client log summary', () => {
  it('keeps the lines that say why a mount failed, without timestamps and source locations', () => {
    expect(summarizeClientLog(UNREACHABLE)).toBe('I disconnected from remote-host: 127.0.0.1\nI Exhausted all volfile servers');
  });

  it('keeps the last lines, each once', () => {
    const lines = Array.from({ length: 10 }, (_, i) => `[d] E [x.c:1:f] 0-x: problem ${i % 5}`).join('\n');
    expect(summarizeClientLog(lines, 3).split('\n')).toEqual(['E problem 2', 'E problem 3', 'E problem 4']);
  });

  it('passes lines of another shape through', () => {
    expect(shortLogLine('  Mount failed.  ')).toBe('Mount failed.');
    expect(summarizeClientLog('')).toBe('');
  });
});
