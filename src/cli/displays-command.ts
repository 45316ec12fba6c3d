/** `screencap displays`: the displays (monitors) of a server's desktop, for --display. */
import { CaptureClient } from '../clients/capture-client';
import type { Command } from './command';
import { clientOptions, CLIENT_CONNECTION_OPTIONS } from './client-options';
import { parseDuration } from './option-values';

export const displaysCommand: Command = {
  name: 'displays',
  summary: "List the displays (monitors) of the server's desktop: id, name, size and position, for --display.",
  options: {
    ...CLIENT_CONNECTION_OPTIONS,
    timeout: { type: 'string', value: 'DURATION', description: 'Give up after this long', default: '10s' },
  },
  details: [
    'One line per display: its id, size and position on the desktop (WxH+X+Y), "primary" for the primary one, and its name.',
    'A SPICE VM lists each monitor head of each display channel: head h of its first qxl card is display h, of card c',
    'display c*100+h, the cards side by side on the desktop (docs/spice.md).',
    '',
    'Examples:',
    '  screencap displays',
    '  screencap grab --display 1 --out second-monitor.png',
  ].join('\n'),

  async run(values) {
    const timeoutMs = parseDuration(String(values.timeout ?? '10s'), 'timeout');
    const client = new CaptureClient(clientOptions(values));
    try {
      const info = await client.displayInfo({ signal: AbortSignal.timeout(timeoutMs) });
      if (info.displays.length === 0) {
        process.stderr.write(`screencap displays: ${info.source} has no picture yet, so no displays\n`);
        return 1;
      }
      const rows = info.displays.map((d) => [String(d.id), `${d.width}x${d.height}+${d.x}+${d.y}`, d.primary ? 'primary' : '', d.name]);
      const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]!.length)));
      for (const row of rows) {
        process.stdout.write(`${row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell)).join('  ')}\n`);
      }
      return 0;
    } finally {
      client.close();
    }
  },
};
