/**
 * V8 CPU profiles (`node --cpu-prof`), reduced to what the benchmarks read from them: which share
 * of a thread's busy time, in a window of the run, went to the garbage collector.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The fields of a .cpuprofile this reads. Times are V8's monotonic clock, in microseconds. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string } }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The one profile a process wrote into `dir` (--cpu-prof-dir). */
export function readCpuProfile(dir: string): CpuProfile {
  const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
  if (files.length !== 1) throw new Error(`expected one .cpuprofile in ${dir}, found ${files.length}`);
  return JSON.parse(readFileSync(join(dir, files[0]), 'utf8')) as CpuProfile;
}

/**
 * Now on the clock the profile's times are on: V8's monotonic clock is CLOCK_MONOTONIC, as Node's
 * hrtime is, so a window taken here in one process can be read in another's profile.
 */
export function profileClockMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Of the samples taken in [fromMicros, toMicros), the busy ones (not idle) and the garbage collector's. */
export function garbageCollectorShare(profile: CpuProfile, fromMicros: number, toMicros: number): { busy: number; share: number } {
  const names = new Map(profile.nodes.map((node) => [node.id, node.callFrame.functionName]));
  let time = profile.startTime;
  let busy = 0;
  let collector = 0;
  profile.samples.forEach((id, i) => {
    time += profile.timeDeltas[i];
    if (time < fromMicros || time >= toMicros) return;
    const name = names.get(id);
    if (name === '(idle)') return;
    busy += 1;
    if (name === '(garbage collector)') collector += 1;
  });
  if (busy === 0)
    throw new Error(`the profile has no busy sample between ${fromMicros} and ${toMicros} µs (${profile.startTime} is its start)`);
  return { busy, share: collector / busy };
}
