/**
 * Live-viewer benchmark: capture-to-display latency in real Chromium at 1280x720 30 fps, and the
 * server's CPU for 1, 4 and 16 viewers, with references measured in the same run.
 *
 * Everything the server side does runs in this process, as `screencap serve --view` does: the
 * capture server with the built-in 1920x1080 desktop at 60 Hz, and the viewer server pulling
 * 1280x720 frames at up to 30 fps, encoding them once, sending them to every viewer.
 *
 * - Latency: one headless Chromium tab per decode path (WebCodecs, MSE); the page measures from
 *   each frame's capture time to its expected display time (requestVideoFrameCallback), with
 *   its clock tied to the server's by ping. Reference: a plain gRPC client pulling the same
 *   1280x720 frames unencoded, from latch to its hands (the capture transport alone).
 * - CPU: the viewers are WebSocket clients in a child process that read every byte but decode
 *   nothing, so the CPU measured (process.cpuUsage of this process) is the server's alone.
 *   Reference: the same process with no viewer (desktop animation and vsync latching only).
 *   Reported per viewer (above the reference, over the viewers) and per viewer after the first
 *   ((cpu_N - cpu_1) / (N - 1): what one more viewer costs once the stream runs).
 *
 * Prints markdown on stdout; progress goes to stderr.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CaptureClient } from '../src/clients';
import { DEFAULT_STREAM_SETTINGS, ViewerServer } from '../src/clients/viewer';
import { CaptureServer } from '../src/server';
import { SyntheticDesktop } from '../src/sources/synthetic/synthetic-desktop';
import { createLogger } from '../src/util/logger';
import { launchChromium } from '../test/support/chromium';
import { percentile } from '../test/support/viewer';

const WARMUP_MS = 3000;
const MEASURE_MS = 10_000;
const VIEWER_COUNTS = [1, 4, 16] as const;

const say = (text: string) => process.stderr.write(`viewer bench: ${text}\n`);

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : 'n/a');

/** This process's CPU time (user + system) over `durationMs`, as a share of one core. */
async function cpuShare(durationMs: number): Promise<number> {
  const before = process.cpuUsage();
  const started = process.hrtime.bigint();
  await sleep(durationMs);
  const used = process.cpuUsage(before);
  const elapsedUs = Number(process.hrtime.bigint() - started) / 1000;
  return (used.user + used.system) / elapsedUs;
}

/** Reference: a gRPC client taking unencoded 1280x720 frames; latch-to-client latency, ms. */
async function transportLatencies(client: CaptureClient): Promise<number[]> {
  const session = await client.openSession({ clientName: 'bench-reference' });
  await session.configure({ width: 1280, height: 720, pixelFormat: 'rgba8' });
  const latencies: number[] = [];
  const stopAt = Date.now() + WARMUP_MS + MEASURE_MS;
  const measureFrom = Date.now() + WARMUP_MS;
  let lastPull = 0;
  for await (const frame of session.frames()) {
    if (Date.now() >= measureFrom) latencies.push(Number(process.hrtime.bigint() - frame.captureMonotonicNs) / 1e6);
    if (Date.now() >= stopAt) break;
    // 30 fps, as the viewer pulls.
    const wait = lastPull + 1000 / 30 - Date.now();
    if (wait > 0) await sleep(wait);
    lastPull = Date.now();
  }
  await session.close();
  return latencies;
}

async function pageLatencies(url: string, mode: 'webcodecs' | 'mse'): Promise<{ latencies: number[]; fps: number }> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${url}?mode=${mode}`);
    await page.waitForFunction(
      () => ((window as unknown as { screencapViewer?: { framesShown: number } }).screencapViewer?.framesShown ?? 0) > 0,
      null,
      { timeout: 30_000 },
    );
    await sleep(WARMUP_MS);
    const read = () =>
      page.evaluate(() => {
        const figures = (window as unknown as { screencapViewer: { framesShown: number; latenciesMs: number[] } }).screencapViewer;
        return { shown: figures.framesShown, latencies: [...figures.latenciesMs] };
      });
    const before = await read();
    await sleep(MEASURE_MS);
    const after = await read();
    const fresh = after.latencies.slice(-Math.min(after.latencies.length, after.shown - before.shown));
    if (after.latencies.length < (MEASURE_MS / 1000) * 5) throw new Error(`${mode}: only ${after.latencies.length} latency samples`);
    return { latencies: fresh, fps: ((after.shown - before.shown) * 1000) / MEASURE_MS };
  } finally {
    await browser.close();
  }
}

async function viewersCpu(streamUrl: string, count: number): Promise<{ cpu: number; segmentsPerViewerPerS: number }> {
  const child = spawn(process.execPath, [join(__dirname, 'support', 'websocket-viewers.js'), streamUrl, String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (data) => (output += data));
  while (!output.includes('ready\n')) {
    if (child.exitCode !== null) throw new Error(`viewers exited with ${child.exitCode}`);
    await sleep(50);
  }
  await sleep(WARMUP_MS);
  const cpu = await cpuShare(MEASURE_MS);
  child.kill('SIGTERM');
  await once(child, 'close');
  const result = JSON.parse(output.trim().split('\n').pop()!) as { segments: number };
  return { cpu, segmentsPerViewerPerS: result.segments / count / ((WARMUP_MS + MEASURE_MS) / 1000) };
}

async function main(): Promise<void> {
  const logger = createLogger('bench', { level: 'warn' });
  const source = new SyntheticDesktop({ width: 1920, height: 1080 });
  const server = await CaptureServer.start({ source, listen: '127.0.0.1:0', vsync: 60, logger });
  const client = new CaptureClient({ address: server.address });
  const viewer = await ViewerServer.start({ client, listen: '127.0.0.1:0', defaults: DEFAULT_STREAM_SETTINGS, logger });
  const streamUrl = `ws://${viewer.address}/stream`;
  try {
    say('reference: gRPC client, unencoded frames');
    const reference = await transportLatencies(client);
    say('latency: Chromium, WebCodecs');
    const webcodecs = await pageLatencies(viewer.url, 'webcodecs');
    say('latency: Chromium, MSE');
    const mse = await pageLatencies(viewer.url, 'mse');
    await sleep(4000); // the stream closes after its last viewer leaves
    say('CPU: no viewer');
    const idle = await cpuShare(MEASURE_MS);
    const rows = [];
    for (const count of VIEWER_COUNTS) {
      say(`CPU: ${count} viewers`);
      rows.push({ count, ...(await viewersCpu(streamUrl, count)) });
      await sleep(4000);
    }

    const load = os
      .loadavg()
      .map((value) => value.toFixed(1))
      .join(' ');
    process.stdout.write(`\n### Live viewer (1280x720, 30 fps cap, of a 1920x1080 desktop at 60 Hz)\n\n`);
    process.stdout.write(
      `${new Date().toISOString()}, ${os.cpus().length} cores, load average ${load}; ${MEASURE_MS / 1000} s per row after ${WARMUP_MS / 1000} s warm-up.\n\n`,
    );
    process.stdout.write('| capture to … | frames/s | latency p50 ms | latency p99 ms | p50 vs reference |\n|---|---:|---:|---:|---:|\n');
    const refP50 = percentile(reference, 50);
    process.stdout.write(
      `| reference: gRPC client's hands, unencoded | ${(reference.length / (MEASURE_MS / 1000)).toFixed(1)} | ${ms(refP50)} | ${ms(percentile(reference, 99))} | 1.0x |\n`,
    );
    for (const [name, result] of [
      ['Chromium display, WebCodecs', webcodecs],
      ['Chromium display, MSE', mse],
    ] as const) {
      const p50 = percentile(result.latencies, 50);
      process.stdout.write(
        `| ${name} | ${result.fps.toFixed(1)} | ${ms(p50)} | ${ms(percentile(result.latencies, 99))} | ${(p50 / refP50).toFixed(1)}x |\n`,
      );
    }
    // Per viewer spreads the stream's own cost (pull, render, encode: paid once) over the
    // viewers; each further viewer is what one more costs on top of the first, the fan-out alone.
    process.stdout.write(
      '\n| viewers | server CPU (share of one core) | above no viewer | per viewer | each viewer after the first | frames/s each viewer got |\n|---:|---:|---:|---:|---:|---:|\n',
    );
    process.stdout.write(`| 0 (reference) | ${(idle * 100).toFixed(0)}% | | | | |\n`);
    const first = rows.find((row) => row.count === 1)!;
    for (const row of rows) {
      const above = row.cpu - idle;
      const marginal = row.count > 1 ? `${(((row.cpu - first.cpu) / (row.count - 1)) * 100).toFixed(1)}%` : '';
      process.stdout.write(
        `| ${row.count} | ${(row.cpu * 100).toFixed(0)}% | ${(above * 100).toFixed(0)}% | ${((above / row.count) * 100).toFixed(1)}% | ${marginal} | ${row.segmentsPerViewerPerS.toFixed(1)} |\n`,
      );
    }
  } finally {
    await viewer.stop();
    client.close();
    await server.stop(1000);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`viewer bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
