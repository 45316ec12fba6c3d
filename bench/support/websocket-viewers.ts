/**
 * Viewers for the viewer benchmark, in a process of their own so that their CPU is not counted
 * as the server's: N WebSocket clients that read the stream as a page would (every byte) but do
 * not decode it. Prints one JSON line when told to stop (SIGTERM) and exits.
 *
 *   node dist/bench/support/websocket-viewers.js ws://127.0.0.1:PORT/stream COUNT
 */
import WebSocket from 'ws';

const [url, countText] = process.argv.slice(2);
const count = Number(countText);
if (!url || !(count >= 1)) {
  process.stderr.write('usage: websocket-viewers.js WS_URL COUNT\n');
  process.exit(2);
}

let segments = 0;
let bytes = 0;
let open = 0;
const sockets = Array.from({ length: count }, () => {
  const socket = new WebSocket(url);
  socket.on('open', () => {
    open++;
    if (open === count) process.stdout.write('ready\n');
  });
  socket.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) return;
    bytes += data.length;
    if (data[0] === 2) segments++;
  });
  socket.on('error', (error) => process.stderr.write(`viewer: ${error.message}\n`));
  return socket;
});

process.on('SIGTERM', () => {
  for (const socket of sockets) socket.terminate();
  process.stdout.write(`${JSON.stringify({ segments, bytes })}\n`);
  process.exit(0);
});
