/**
 * SPICE client CPU benchmark (standalone): node dist/bench/spice-cpu.bench.js [SECONDS]
 *
 * screencap's SPICE source against spice-gtk's `spicy`, the reference client, on the same
 * updates in the same run. One Xspice runs with SPICE_DEBUG_ALLOW_MC=1, so that two clients hold
 * sessions at once and the server sends both the same updates; `screencap serve --source
 * spice://…` (no capture client: what the source alone costs) and spicy (in an Xvfb of its own)
 * are both connected. For each workload, the CPU seconds each process used over the same window
 * (utime + stime from /proc), and their ratio. spicy's Xvfb, which puts its pictures on a screen,
 * is listed beside it but not counted as the client's.
 *
 * Workloads: an xterm scrolling about 100 lines a second; an xterm window dragged across the
 * screen; a full-screen photograph redrawn in a loop (xrefresh). Prints a markdown table; then,
 * from a second pass with screencap under V8's CPU profiler, the garbage collector's share of
 * its main thread in each workload.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureClient } from '../src/clients';
import { ServeProcess } from '../test/support/cli-process';
import { delay, OwnedProcess, run, waitFor } from '../test/support/spice/processes';
import { Spicy } from '../test/support/spice/spicy';
import { Xspice } from '../test/support/spice/xspice';
import { benchLogger, runBenchmark } from './support/bench-process';
import { garbageCollectorShare, profileClockMicros, readCpuProfile } from './support/cpu-profile';
import { cpuSeconds } from './support/process-cpu';

const log = benchLogger('spice-cpu');
const SECONDS = Number(process.argv[2] ?? 20);
interface Workload {
  name: string;
  /** Starts what changes the screen; returns how to stop it. */
  start(server: Xspice, dir: string): Promise<() => Promise<void>>;
}

const WORKLOADS: Workload[] = [
  {
    name: 'xterm scrolling ~100 lines/s',
    async start(server) {
      const script = 'i=0; while :; do echo "line $i: the quick brown fox jumps over the lazy dog"; i=$((i+1)); sleep 0.01; done';
      const xterm = new OwnedProcess('xterm', ['-geometry', '100x40+0+0', '-e', 'sh', '-c', script], { env: server.env });
      return () => xterm.stop();
    },
  },
  {
    name: 'an xterm window dragged across the screen',
    async start(server) {
      const xterm = new OwnedProcess('xterm', ['-geometry', '60x20+0+0', '-title', 'dragged', '-e', 'sleep', '600'], { env: server.env });
      const window = (await run('xdotool', ['search', '--sync', '--name', '^dragged$'], { env: server.env }))
        .toString()
        .trim()
        .split('\n')[0];
      let moving = true;
      const mover = (async () => {
        for (let step = 0; moving; step++) {
          const x = (step * 8) % 600;
          const y = (step * 5) % 400;
          await run('xdotool', ['windowmove', window, String(x), String(y)], { env: server.env });
          await delay(16);
        }
      })();
      return async () => {
        moving = false;
        await mover;
        await xterm.stop();
      };
    },
  },
  {
    name: 'a full-screen photograph redrawn in a loop',
    async start(server, dir) {
      const photo = join(dir, 'photo.png');
      await run('convert', ['-size', '1024x768', '-seed', '7', 'plasma:fractal', photo]);
      const viewer = new OwnedProcess('display', ['-geometry', '+0+0', '-backdrop', photo], { env: server.env });
      await delay(1000);
      let redrawing = true;
      const loop = (async () => {
        while (redrawing) await run('xrefresh', [], { env: server.env });
      })();
      return async () => {
        redrawing = false;
        await loop;
        await viewer.stop();
      };
    },
  },
];

/** The workloads' windows when the profile pass runs them, shorter than the CPU pass's. */
const PROFILE_SECONDS = Math.min(SECONDS, 10);

async function startServe(server: Xspice, nodeFlags: string[] = []): Promise<ServeProcess> {
  const serve = await ServeProcess.start(
    ['--listen', '127.0.0.1:0', '--source', `spice://127.0.0.1:${server.port}`, '--log-level', 'warn'],
    {},
    nodeFlags,
  );
  const client = new CaptureClient({ address: serve.address });
  try {
    await waitFor(
      async () => ((await client.displayInfo()).latestFrameNumber > 0 ? true : undefined),
      30_000,
      'screencap showing the display',
    );
  } finally {
    client.close();
  }
  return serve;
}

/** Runs each workload for `seconds` after a second to settle; `measure` wraps the window. */
async function eachWorkload(
  server: Xspice,
  dir: string,
  seconds: number,
  measure: (workload: Workload, window: () => Promise<void>) => Promise<void>,
): Promise<void> {
  for (const workload of WORKLOADS) {
    log(`${workload.name}: ${seconds} s`);
    const stop = await workload.start(server, dir);
    try {
      await delay(1000);
      await measure(workload, () => delay(seconds * 1000));
    } finally {
      await stop();
    }
    await delay(1000);
  }
}

async function main(): Promise<number> {
  process.env.SPICE_DEBUG_ALLOW_MC = '1';
  const dir = mkdtempSync(join(tmpdir(), 'screencap-spice-cpu-'));
  const server = await Xspice.start({ compression: 'auto_glz' });
  let serve: ServeProcess | undefined;
  let spicy: Spicy | undefined;
  const cpuRows: string[] = [];
  const gcRows: string[] = [];
  try {
    serve = await startServe(server);
    spicy = await Spicy.start(server.port);
    await waitFor(() => (spicy!.linked ? true : undefined), 30_000, 'spicy linked');
    await delay(2000);
    const client = new CaptureClient({ address: serve.address });
    const info = await client.displayInfo();
    client.close();
    if (!info.sourceLive) throw new Error('screencap lost its session when spicy linked: is SPICE_DEBUG_ALLOW_MC honoured?');

    // CPU: screencap as it runs, without a profiler.
    const servePid = serve.child.pid!;
    const viewer = spicy;
    await eachWorkload(server, dir, SECONDS, async (workload, window) => {
      const before = { screencap: cpuSeconds(servePid), spicy: cpuSeconds(viewer.pid), xorg: cpuSeconds(server.pid) };
      await window();
      const after = { screencap: cpuSeconds(servePid), spicy: cpuSeconds(viewer.pid), xorg: cpuSeconds(server.pid) };
      const used = {
        screencap: after.screencap - before.screencap,
        spicy: after.spicy - before.spicy,
        xorg: after.xorg - before.xorg,
      };
      cpuRows.push(
        `| ${workload.name} | ${used.screencap.toFixed(2)} | ${used.spicy.toFixed(2)} | ${(used.screencap / used.spicy).toFixed(2)}x | ${used.xorg.toFixed(2)} |`,
      );
    });
    await serve.stop();
    serve = undefined;

    // The garbage collector's share: the same workloads again, screencap under V8's sampling
    // profiler (which costs CPU of its own, hence a pass apart), each window read from the profile.
    const profileDir = join(dir, 'profile');
    serve = await startServe(server, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
    const windows: { workload: Workload; from: number; to: number }[] = [];
    await eachWorkload(server, dir, PROFILE_SECONDS, async (workload, window) => {
      const from = profileClockMicros();
      await window();
      windows.push({ workload, from, to: profileClockMicros() });
    });
    await serve.stop();
    serve = undefined;
    const profile = readCpuProfile(profileDir);
    for (const { workload, from, to } of windows) {
      const { busy, share } = garbageCollectorShare(profile, from, to);
      gcRows.push(`| ${workload.name} | ${(100 * share).toFixed(1)}% | ${busy} |`);
    }
  } finally {
    await spicy?.stop();
    await serve?.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`CPU seconds over ${SECONDS} s of the same SPICE updates (Xspice 1024x768, SPICE_DEBUG_ALLOW_MC=1):`);
  console.log('');
  console.log('| Workload | screencap serve | spicy | screencap / spicy | Xspice (the server) |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const row of cpuRows) console.log(row);
  console.log('');
  console.log(`The garbage collector's share of screencap's main thread, from a V8 CPU profile of ${PROFILE_SECONDS} s of each workload:`);
  console.log('');
  console.log('| Workload | garbage collector | busy samples (about 1 ms each) |');
  console.log('| --- | ---: | ---: |');
  for (const row of gcRows) console.log(row);
  return 0;
}

runBenchmark(module, log, main);
