/**
 * The live view page. It asks the viewer server for the stream its URL describes
 * (`?size=WxH&fps=N&rotation=R`, all optional), plays it with WebCodecs where it can and with
 * MSE elsewhere (`?mode=webcodecs|mse` forces one), and keeps an overlay of what it sees.
 *
 * `window.screencapViewer` holds the same figures for scripts (the tests and the benchmark read
 * it): frames shown, latency samples, the decode path, connection count.
 */
import type { StreamDescription, ViewerFigures } from '../wire/stream-messages.js';
import { MsePlayer, mseSupported } from './mse-player.js';
import { Overlay } from './overlay.js';
import type { Player, ShownFrame } from './player.js';
import { pageClockMs, StreamSocket, type ConnectionState } from './stream-socket.js';
import { webCodecsSupported, WebCodecsPlayer } from './webcodecs-player.js';

declare global {
  interface Window {
    screencapViewer: ViewerFigures;
  }
}

const MAX_LATENCY_SAMPLES = 1000;
const query = new URLSearchParams(location.search);
const video = document.getElementById('screen') as HTMLVideoElement;
const overlay = new Overlay();
const figures: ViewerFigures & { state: ConnectionState } = {
  state: 'connecting',
  detail: '',
  mode: '',
  width: 0,
  height: 0,
  framesShown: 0,
  latenciesMs: [],
  clockSyncErrorMs: null,
  latencyErrorsMs: [],
  connects: 0,
  lastReconnectReason: '',
  streams: 0,
};
window.screencapViewer = figures;

const streamQuery = new URLSearchParams();
for (const name of ['size', 'fps', 'rotation']) {
  const value = query.get(name);
  if (value !== null) streamQuery.set(name, value);
}
const socketUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/stream${streamQuery.size ? `?${streamQuery}` : ''}`;

let player: Player | undefined;
/** Frames shown in the last second, and their latencies: the overlay's figures. */
let recentShown: number[] = [];
let recentLatencies: number[] = [];

function choosePlayer(description: StreamDescription): Player {
  const asked = query.get('mode');
  const events = { shown, failed: (reason: string) => socket.restart(reason) };
  if (asked !== 'mse' && webCodecsSupported()) return new WebCodecsPlayer(video, events);
  if (asked === 'webcodecs') throw new Error('this browser (or a page that is not https/localhost) has no WebCodecs track generator');
  if (!mseSupported(description.codec)) throw new Error(`this browser plays neither WebCodecs nor MSE ${description.codec}`);
  return new MsePlayer(video, events);
}

function shown(frame: ShownFrame): void {
  figures.framesShown++;
  recentShown.push(frame.displayTimeMs);
  if (frame.repeat) return;
  if (!Number.isFinite(socket.serverClockErrorMs)) return; // no clock sync yet: no latency to tell
  figures.clockSyncErrorMs = socket.serverClockErrorMs;
  const latency = frame.displayTimeMs + socket.serverClockOffsetMs - frame.captureTimeMs;
  figures.latenciesMs.push(latency);
  figures.latencyErrorsMs.push(socket.serverClockErrorMs);
  if (figures.latenciesMs.length > MAX_LATENCY_SAMPLES) {
    figures.latenciesMs.shift();
    figures.latencyErrorsMs.shift();
  }
  recentLatencies.push(latency);
}

const socket: StreamSocket = new StreamSocket(socketUrl, {
  state(state, detail) {
    figures.state = state;
    figures.detail = detail;
    if (state === 'reconnecting' && detail) figures.lastReconnectReason = detail;
    figures.connects = socket.connects;
    overlay.showState(state, detail);
  },
  stream(description, initSegment) {
    player?.close();
    try {
      player = choosePlayer(description);
    } catch (error) {
      player = undefined;
      overlay.showState('error', (error as Error).message);
      return;
    }
    figures.streams++;
    figures.mode = player.mode;
    figures.width = description.width;
    figures.height = description.height;
    overlay.showStream(description.width, description.height, player.mode);
    player.start(description, initSegment);
  },
  media(header, segment) {
    player?.media(header, segment);
  },
});

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

window.setInterval(() => {
  const cutoff = pageClockMs() - 1000;
  recentShown = recentShown.filter((time) => time > cutoff);
  const latencyP50Ms = median(recentLatencies);
  recentLatencies = [];
  overlay.showRates(recentShown.length, latencyP50Ms);
  socket.send({ type: 'report', framesShown: figures.framesShown, latencyP50Ms, mode: figures.mode });
}, 1000);

socket.open();
