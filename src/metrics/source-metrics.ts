/** Metrics of a display source that talks to a server of its own (SPICE): its connection and bytes. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DisplaySource } from '../sources/display-source';

/** What a networked source tells (SpiceDisplaySource has all of it). */
interface NetworkedSource extends DisplaySource {
  readonly bytesReceived: number;
  readonly connections: number;
  readonly state: string;
}

function isNetworked(source: DisplaySource): source is NetworkedSource {
  return (
    typeof (source as Partial<NetworkedSource>).bytesReceived === 'number' && typeof (source as Partial<NetworkedSource>).state === 'string'
  );
}

/** Registers the source's metrics when it is a networked one; a local source has none. */
export function watchSource(registry: Registry, source: DisplaySource): void {
  if (!isNetworked(source)) return;
  const registers = [registry];
  new Counter({
    name: 'screencap_source_received_bytes_total',
    help: "Bytes received from the display source's server (every channel, every connection).",
    registers,
    collect() {
      this.reset();
      this.inc(source.bytesReceived);
    },
  });
  new Counter({
    name: 'screencap_source_connections_total',
    help: "Connections to the display source's server that got as far as showing the display.",
    registers,
    collect() {
      this.reset();
      this.inc(source.connections);
    },
  });
  const states = ['connecting', 'connected', 'shared', 'waiting', 'displaced', 'stopped'];
  new Gauge({
    name: 'screencap_source_connection_state',
    help: "The source's connection to its server: 1 for the state it is in.",
    labelNames: ['state'],
    registers,
    collect() {
      for (const state of states) this.set({ state }, source.state === state ? 1 : 0);
    },
  });
}
