/**
 * A reference for the SHARED_MEMORY rows: what the server's own copies of a moving window cost,
 * without a server. Eight clients' buffers in one /dev/shm file, mapped as the server maps them,
 * and the default desktop's window (620x243 of a 1080p frame, 600 kB) written into each through
 * the same native transform, in one turn (one batch), round after round: back to back, and then
 * one round every 16 ms as a 60 Hz display asks. The second is what the server pays: a buffer
 * last written a frame ago has left the caches by the time it is written again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { transform } from '../../src/codec/image-transform';
import { mapFile } from '../../src/codec/mapped-file';

const [WIDTH, HEIGHT] = [1920, 1080];
const WINDOW = { x: 400, y: 300, width: 620, height: 243 };
const CLIENTS = 8;
const FRAME_MS = 1000 / 60;

export interface WindowCopies {
  /** CPU µs per copy of the window into one client's buffer, rounds back to back. */
  backToBackCpuUs: number;
  /** The same, one round per 16.7 ms. */
  paced60HzCpuUs: number;
  /** Wall-clock ms from asking for a round to its last copy written, one round per 16.7 ms: median. */
  paced60HzRoundMs: number;
}

export async function measureWindowCopies(measureMs: number): Promise<WindowCopies> {
  const dir = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const file = path.join(dir, `screencap-bench-${process.pid}`);
  const bytes = WIDTH * HEIGHT * 4;
  const fd = fs.openSync(file, 'w+', 0o600);
  fs.unlinkSync(file);
  fs.ftruncateSync(fd, bytes * CLIENTS);
  const mapping = mapFile(fd, bytes * CLIENTS, true);
  fs.closeSync(fd);
  try {
    const frame = Buffer.alloc(bytes, 0x5a);
    const buffers = Array.from({ length: CLIENTS }, (_, i) => mapping.bytes.subarray(i * bytes, (i + 1) * bytes));
    // Every page of every buffer touched once, as the first frame a client gets writes it whole.
    for (const buffer of buffers) buffer.fill(0);
    const round = () =>
      Promise.all(
        buffers.map((into) => transform(frame, WIDTH, HEIGHT, WIDTH * 4, 'rgba8', WIDTH, HEIGHT, 0, 'rgba8', 'stretch', into, [WINDOW])),
      );
    const measure = async (paced: boolean) => {
      const roundMs: number[] = [];
      let rounds = 0;
      const start = process.cpuUsage();
      const end = performance.now() + measureMs;
      while (performance.now() < end) {
        const asked = performance.now();
        await round();
        roundMs.push(performance.now() - asked);
        rounds++;
        if (paced) await sleep(Math.max(0, FRAME_MS - (performance.now() - asked)));
      }
      const cpu = process.cpuUsage(start);
      roundMs.sort((a, b) => a - b);
      return { cpuUs: (cpu.user + cpu.system) / (rounds * CLIENTS), medianMs: roundMs[Math.floor(roundMs.length / 2)]! };
    };
    await measure(false); // warm-up
    const backToBack = await measure(false);
    const paced = await measure(true);
    return { backToBackCpuUs: backToBack.cpuUs, paced60HzCpuUs: paced.cpuUs, paced60HzRoundMs: paced.medianMs };
  } finally {
    mapping.unmap();
  }
}
