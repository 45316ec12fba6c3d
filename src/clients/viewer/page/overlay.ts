/** The corner overlay: connection state, picture size, frames per second, latency, decode path. */
import type { ConnectionState } from './stream-socket.js';

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found;
}

export class Overlay {
  private readonly root = element('overlay');
  private readonly state = element('overlay-state');
  private readonly size = element('overlay-size');
  private readonly fps = element('overlay-fps');
  private readonly latency = element('overlay-latency');
  private readonly mode = element('overlay-mode');

  showState(state: ConnectionState, detail: string): void {
    this.root.dataset.state = state;
    this.state.textContent = detail ? `${state}: ${detail}` : state;
  }

  showStream(width: number, height: number, mode: string): void {
    this.size.textContent = `${width}×${height}`;
    this.mode.textContent = mode;
  }

  showRates(fps: number, latencyP50Ms: number | null): void {
    this.fps.textContent = `${fps} fps`;
    // A latency below the clock sync's error can come out a little negative: it is ~0.
    this.latency.textContent = latencyP50Ms === null ? '' : `${Math.max(0, Math.round(latencyP50Ms))} ms`;
    this.latency.title = 'capture to display, median of the last second';
  }
}
