import assert from 'node:assert/strict';
import { FileSink } from '../file-sink';
import { FREE_TYPE, MOOF_TYPE, MOOF_TYPE_OFFSET } from './mp4-fragment';
import { buildInitSegment, type InitSegmentParams } from './mp4-init-segment';

/**
 * The file under a FragmentedMp4Writer, and what survives a crash of the writer: every write is
 * synced before the call resolves, and each step leaves a file that plays up to its last complete
 * fragment.
 *
 *   create()          ftyp moov, synced: an empty but valid file from the start
 *   appendFragment()  moof mdat, written as a `free` box, synced, renamed `moof`, synced again
 *   rewriteUint32()   4 bytes patched in place (a sample duration), synced: either value is valid
 *   finish()          the random access index appended and the init segment rewritten with the
 *                     real duration, synced, closed
 *
 * What goes in those bytes (when a fragment is cut, the samples' durations) is the writer's
 * business; this class knows only where the bytes go and in which order they become durable.
 */
export class CrashSafeMp4File {
  private constructor(
    private readonly sink: FileSink,
    /** The init segment as first written; finish() rewrites it with the same length. */
    private readonly init: InitSegmentParams,
  ) {}

  /** Creates the file at `path` (truncating it) and writes and syncs the init segment. */
  static async create(path: string, init: InitSegmentParams): Promise<CrashSafeMp4File> {
    const sink = await FileSink.create(path);
    try {
      await sink.append([buildInitSegment(init)]);
      await sink.sync();
    } catch (error) {
      await sink.close().catch(() => undefined);
      throw error;
    }
    return new CrashSafeMp4File(sink, init);
  }

  /** The file's path, for messages. */
  get path(): string {
    return this.sink.path;
  }

  /** Bytes in the file so far. */
  get length(): number {
    return this.sink.length;
  }

  /**
   * Appends one fragment (`header` from buildFragmentHeader, then the sample bytes) and syncs it;
   * returns the offset of its `moof`. It is written as a `free` box, synced, then renamed to
   * `moof` and synced again: a crash in the middle of the (large) write leaves a truncated `free`
   * box that readers skip, and the rename is a 4-byte write within one disk sector, so it lands
   * whole or not at all. `header` is modified (its fourcc) while this runs.
   */
  async appendFragment(header: Uint8Array, samples: readonly Uint8Array[]): Promise<number> {
    const moofOffset = this.sink.length;
    header.set(FREE_TYPE, MOOF_TYPE_OFFSET);
    await this.sink.append([header, ...samples]);
    await this.sink.sync();
    await this.sink.overwrite(moofOffset + MOOF_TYPE_OFFSET, MOOF_TYPE);
    await this.sink.sync();
    return moofOffset;
  }

  /** Rewrites a 32-bit big-endian field already written at `offset`, and syncs. */
  async rewriteUint32(offset: number, value: number): Promise<void> {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, value);
    await this.sink.overwrite(offset, bytes);
    await this.sink.sync();
  }

  /**
   * Appends `index` (the random access index), rewrites the init segment in place with the real
   * duration, syncs and closes the file.
   */
  async finish(index: Uint8Array, durationTicks: number): Promise<void> {
    await this.sink.append([index]);
    await this.sink.overwrite(0, this.finishedInitSegment(durationTicks));
    await this.sink.sync();
    await this.sink.close();
  }

  /** Closes the file after a failure, keeping what is on disk; never throws. */
  async abandon(): Promise<void> {
    await this.sink.close().catch(() => undefined);
  }

  /** The init segment with the real duration; the same length as the one written first. */
  private finishedInitSegment(durationTicks: number): Uint8Array {
    const bytes = buildInitSegment({ ...this.init, durationTicks });
    assert.equal(bytes.length, buildInitSegment(this.init).length, 'the init segment must keep its length');
    return bytes;
  }
}
