/**
 * A recording process to be killed: writes the access units of an Annex-B file (over and over)
 * at 30 fps media time, pausing between samples, and prints "fragment <count> <samples>" each
 * time a fragment is on disk. It never finishes the file; the test ends it with SIGKILL.
 *
 * Usage: node slow-writer-child.js <annexB.h264> <width> <height> <out.mp4> <fragmentDurationMs>
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { FragmentedMp4Writer } from '../../../src/media/mp4';
import { splitAnnexB } from './h264-fixture';

export const FRAME_INTERVAL_US = 33_333;
/** A bound in case the parent dies before killing us. */
const MAX_SAMPLES = 3000;
const PAUSE_MS = 5;

async function main(): Promise<void> {
  const [annexBPath, width, height, outPath, fragmentDurationMs] = process.argv.slice(2);
  const { sps, pps, accessUnits } = splitAnnexB(await readFile(annexBPath));
  const writer = await FragmentedMp4Writer.create(outPath, {
    width: Number(width),
    height: Number(height),
    sps,
    pps,
    fragmentDurationMs: Number(fragmentDurationMs),
  });
  let fragments = 0;
  for (let index = 0; index < MAX_SAMPLES; index++) {
    const unit = accessUnits[index % accessUnits.length];
    await writer.addSample({ data: unit.avcc, timestampUs: index * FRAME_INTERVAL_US, isKeyframe: unit.isKeyframe });
    if (writer.fragmentsWritten !== fragments) {
      fragments = writer.fragmentsWritten;
      process.stdout.write(`fragment ${fragments} ${writer.samplesWritten}\n`);
    }
    await sleep(PAUSE_MS);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
