import { FragmentedMp4Writer, type FragmentedMp4WriterOptions } from '../../../src/media/mp4';
import type { H264Fixture } from './h264-fixture';

/** Muxes the first `timestamps.length` access units of a fixture at those times, then finishes. */
export async function muxFixture(
  path: string,
  fixture: H264Fixture,
  timestamps: readonly number[],
  stopTimeUs: number,
  options: Partial<FragmentedMp4WriterOptions> = {},
): Promise<FragmentedMp4Writer> {
  const writer = await FragmentedMp4Writer.create(path, {
    width: fixture.width,
    height: fixture.height,
    sps: fixture.sps,
    pps: fixture.pps,
    ...options,
  });
  for (const [index, timestampUs] of timestamps.entries()) {
    const unit = fixture.accessUnits[index];
    await writer.addSample({ data: unit.avcc, timestampUs, isKeyframe: unit.isKeyframe });
  }
  await writer.finish(stopTimeUs);
  return writer;
}
