/** --metrics: Prometheus metrics scraped over HTTP, parsed, and checked against what was done. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureClient } from '../../src/clients';
import { runCli, ServeProcess } from '../support/cli-process';
import { waitFor } from '../support/spice/processes';

type Samples = Map<string, number>;

/** The text exposition format, one sample a line: `name{labels} value` keyed by `name{labels}`. */
function parseMetrics(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(match, `a sample line: ${line}`);
    samples.set(match[1], Number(match[2]));
  }
  return samples;
}

async function scrape(url: string): Promise<Samples> {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseMetrics(await response.text());
}

const sample = (samples: Samples, key: string): number => {
  const value = samples.get(key);
  assert.ok(value !== undefined, `${key} is exported`);
  return value;
};

describe('screencap serve --metrics', function () {
  this.timeout(90_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'screencap-metrics-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('counts latches, deliveries per transport with their latency, sessions, the source, the recorder and the viewer', async () => {
    const server = await ServeProcess.start([
      '--listen',
      '127.0.0.1:0',
      '--size',
      '320x240',
      '--metrics',
      '127.0.0.1:0',
      '--record',
      join(dir, 'rec'),
      '--record-size',
      '320x240',
      '--view',
      '127.0.0.1:0',
    ]);
    try {
      await waitFor(() => /screencap metrics: (http:\S+)\n/.exec(server.output.stdout)?.[1], 10_000, 'the metrics URL');
      const url = /screencap metrics: (http:\S+)\n/.exec(server.output.stdout)![1];
      const client = new CaptureClient({ address: server.address });
      try {
        for (const transport of ['inline', 'shared-memory'] as const) {
          const session = await client.openSession({ clientName: `metrics-${transport}` });
          await session.configure({ width: 160, height: 120, rotation: 0, pixelFormat: 'rgba8', bufferCount: 2, transport });
          let frames = 0;
          for await (const frame of session.frames({ signal: AbortSignal.timeout(20_000) })) {
            assert.ok(frame.frameNumber > 0);
            if (++frames === 5) break;
          }
          await session.close();
        }
      } finally {
        client.close();
      }
      // The recorder reports its progress every 5 s.
      const samples = await waitFor(
        async () => {
          const scraped = await scrape(url);
          return (scraped.get('screencap_recorder_frames_written_total') ?? 0) > 0 ? scraped : undefined;
        },
        30_000,
        "the recorder's first progress report",
      );

      assert.ok(sample(samples, 'screencap_frames_latched_total') > 10);
      for (const transport of ['inline', 'shared_memory']) {
        // 5 to this test's client, and the recorder's frames (shared memory, over loopback).
        const delivered = sample(samples, `screencap_frames_delivered_total{transport="${transport}"}`);
        assert.ok(delivered >= 5, `${transport}: ${delivered} delivered`);
        assert.equal(
          sample(samples, `screencap_latch_to_delivery_seconds_count{transport="${transport}"}`),
          delivered,
          'one latency a delivery',
        );
        assert.ok(sample(samples, `screencap_latch_to_delivery_seconds_sum{transport="${transport}"}`) > 0);
        assert.ok(samples.has(`screencap_frames_skipped_total{transport="${transport}"}`));
      }
      assert.equal(sample(samples, 'screencap_sessions'), 1, "the recorder's session is the one left");
      assert.equal(sample(samples, 'screencap_source_up'), 1);
      assert.equal(sample(samples, 'screencap_display_pixels{side="width"}'), 320);
      assert.equal(sample(samples, 'screencap_recorder_recording'), 1);
      assert.ok(sample(samples, 'screencap_recorder_bytes') > 0);
      assert.equal(sample(samples, 'screencap_viewer_viewers'), 0);
      assert.ok(sample(samples, 'process_cpu_user_seconds_total') > 0, "Node's process metrics too");
      assert.ok(sample(samples, 'screencap_render_seconds_count') >= 10);

      const notFound = await fetch(url.replace('/metrics', '/'));
      assert.equal(notFound.status, 404);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('refuses a bad --metrics address, naming it', async () => {
    for (const command of ['serve', 'view']) {
      const result = await runCli([command, '--listen', '127.0.0.1:0', '--metrics', 'nowhere']);
      assert.equal(result.code, 2, `${command}: ${result.stderr}`);
      assert.match(result.stderr, /--metrics: expected HOST:PORT/);
    }
  });
});
