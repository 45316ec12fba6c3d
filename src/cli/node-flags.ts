/**
 * The Node (V8) flags screencap's own processes run with: bin/screencap.js's first line passes
 * them (`#!/usr/bin/env -S node ...`), as does docs/deploy.md's systemd unit (tests check both
 * agree with this list), and `npm run bench` runs the benchmarks with them, so that they measure
 * what the command does.
 *
 * `--initial-old-space-size=128`: V8 starts a mark-compact once the old generation plus the
 * external memory allocated since the last one pass its allocation limit, which for a heap of
 * screencap's size (10-15 MB live) is a few tens of MB. An INLINE 1080p frame is an 8 MB message
 * that grpc-js and Node allocate afresh on each side (the sender's framing copy; the receiver's
 * DATA frames and their join), so both processes ran a mark-compact every one or two frames,
 * and the collector took over a third of the receiving process's time. With a 128 MB limit they
 * run one every eight frames or so: INLINE full frames went from about 50 to 110 frames/s with
 * the client in its own process, at less than half the CPU a frame (docs/PERFORMANCE.md), for up
 * to 128 MB more memory between collections. It cannot be set once a process runs (V8 reads it
 * when it sets up the heap), nor through NODE_OPTIONS.
 *
 * `env -S` splits the launcher's first line into words: GNU coreutils (8.30 on, Debian 10 on) and
 * the BSDs' and macOS's env do; BusyBox's does not, so on Alpine run
 * `node --initial-old-space-size=128 bin/screencap.js` instead.
 */
export const NODE_FLAGS: readonly string[] = ['--initial-old-space-size=128'];
