/**
 * Where a variable-rate recording's frames go in time (FileTimeline): on the server's vsync grid,
 * counted from the first frame, or from its arrival when it was stale; on the grid either way.
 */
import assert from 'node:assert/strict';
import { FileTimeline } from '../../../src/clients/recorder/file-timeline';

const GRID_NS = 16_666_667n;
const FIRST_NS = 5_000_000_000n;
const MS = 1_000_000n;

/** A frame time in whole grid periods (fails if it is off the grid). */
function periods(timeUs: number): number {
  const count = (timeUs * 1000) / Number(GRID_NS);
  assert.ok(Math.abs(count - Math.round(count)) < 1e-6, `${timeUs} us is not on the 60 Hz grid`);
  return Math.round(count);
}

describe('FileTimeline: recording time of captured frames', () => {
  it('counts from the first frame when the screen was changing, the frames on the grid', () => {
    const timeline = new FileTimeline(GRID_NS);
    // Latched on the grid plus a timer's lateness; the local clock 3 ms ahead of the server's.
    timeline.arrived(FIRST_NS, FIRST_NS + 3n * MS);
    assert.equal(timeline.frameTimeUs(FIRST_NS), 0);
    const second = FIRST_NS + 2n * GRID_NS + 2n * MS;
    timeline.arrived(second, second + 3n * MS);
    assert.equal(periods(timeline.frameTimeUs(second)), 2);
  });

  it('counts a stale first frame from its arrival, and keeps every later frame on the grid', () => {
    const timeline = new FileTimeline(GRID_NS);
    // Latched long before it arrived (a still screen, or a loaded machine), and nothing latched
    // meanwhile: it shows from its arrival, which is off the grid.
    const arrival = FIRST_NS + 230n * MS + 1_234n;
    timeline.arrived(FIRST_NS, arrival);
    assert.equal(timeline.frameTimeUs(FIRST_NS), 0);
    for (const [late, lateness] of [
      [14n, 1n * MS],
      [15n, 4n * MS],
      [20n, 0n],
    ] as const) {
      const capture = FIRST_NS + late * GRID_NS + lateness;
      timeline.arrived(capture, capture + 2n * MS);
      // The origin is the grid point at or before the arrival: 13 periods after the first frame.
      assert.equal(periods(timeline.frameTimeUs(capture)), Number(late) - 13);
    }
  });
});
