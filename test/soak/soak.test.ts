/**
 * The soak, CI-sized: 64 clients for 60 s (npm run soak runs 10 minutes). Bounds: no client
 * error (a stuck GetNextFrame fails its deadline), the live heap in the
 * second half within 10% of the first after warm-up (RSS within 25%), and descriptors, /dev/shm
 * files and the server's mappings of them back to the start.
 */
import assert from 'node:assert/strict';
import { runSoak, soakTable } from './soak-run';

describe('soak: 64 clients over both transports for 60 s', function () {
  this.timeout(180_000);

  it('serves everyone throughout, with memory steady and nothing left open', async () => {
    const options = { seconds: 60, clients: 64 };
    const figures = await runSoak(options);
    console.log(soakTable(figures, options).replace(/^/gm, '      '));
    assert.deepEqual(figures.errors, []);
    assert.ok(figures.frames > 64 * 60, `${figures.frames} frames`);
    // A call left unanswered waits out its 10 s deadline and fails: it is among the errors above.
    // How long the longest answered call waited follows the machine's load rather than the
    // server (0.9 s on two cores saturated by the soak alone, 2.7 s once with other test suites
    // and benchmarks beside it), so it is reported in the table, not bounded by wall-clock time.
    assert.ok(figures.longestWaitMs > 0 && figures.longestWaitMs < 10_000, `longest wait ${figures.longestWaitMs.toFixed(0)} ms`);
    // RSS in one minute also follows the pools' high-water marks (latched frames, renders,
    // malloc's arenas), which rise with the load: 11% once at a load of 8 on two cores, flat over
    // ten minutes (docs/PERFORMANCE.md). Leaks show in the live heap, the descriptors and the
    // mappings, bounded tightly here; RSS gets a bound a leak of a frame every few ms would break.
    assert.ok(figures.end.rssBytes <= figures.warm.rssBytes * 1.25, 'RSS: the second half within 25% of the first');
    assert.ok(figures.end.liveHeapBytes <= figures.warm.liveHeapBytes * 1.1, 'live heap: the second half within 10% of the first');
    assert.ok(
      figures.descriptors.end <= figures.descriptors.start + 2,
      `descriptors ${figures.descriptors.start} -> ${figures.descriptors.end}`,
    );
    assert.equal(figures.shmFiles.end, figures.shmFiles.start, '/dev/shm files');
    assert.equal(figures.mappedFiles.end, figures.mappedFiles.start, 'buffer files the server maps');
  });
});
