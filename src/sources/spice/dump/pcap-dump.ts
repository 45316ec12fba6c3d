import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../../util/logger';
import type { ByteTap } from '../link/link-handshake';
import { MAX_SEGMENT, pcapGlobalHeader, pcapSegment, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from './pcap-records';

/**
 * The protocol dump (`--spice-dump DIR`): one pcap file per source run holding every channel
 * connection as its own TCP stream, with the time each chunk crossed the wire. Best effort: a dump
 * that cannot be written is logged once by the owner and never stops the capture.
 */
export class PcapDump {
  private readonly out: WriteStream;
  private nextClientPort = 40000;
  private failed = false;
  /** Closed by the source's stop(): channels whose sockets close later write nothing more. */
  private ended = false;
  readonly path: string;

  constructor(
    dir: string,
    private readonly serverPort: number,
    logger: Logger,
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `spice-${new Date().toISOString().replace(/[:.]/g, '-')}.pcap`);
    this.out = createWriteStream(this.path);
    // A full disk must not take the capture down: log once and stop dumping.
    this.out.on('error', (error) => {
      if (!this.failed) logger.error('SPICE dump failed; no longer writing it', { file: this.path, reason: error.message });
      this.failed = true;
    });
    this.out.write(pcapGlobalHeader());
  }

  /** A tap for one new channel connection (a new TCP stream in the file). */
  connection(): ByteTap {
    const clientPort = this.nextClientPort++;
    if (this.nextClientPort > 65000) this.nextClientPort = 40000;
    const serverPort = this.serverPort;
    let clientSeq = 1000;
    let serverSeq = 5000;
    let open = true;
    const write = (fromClient: boolean, flags: number, payload: Buffer) => {
      if (this.failed || this.ended) return;
      const seq = fromClient ? clientSeq : serverSeq;
      const ack = fromClient ? serverSeq : clientSeq;
      this.out.write(
        pcapSegment({
          // Wall-clock time with sub-millisecond resolution, for pcap's microsecond field.
          timeMs: performance.timeOrigin + performance.now(),
          srcPort: fromClient ? clientPort : serverPort,
          dstPort: fromClient ? serverPort : clientPort,
          seq,
          ack,
          flags,
          payload,
        }),
      );
      const advance = payload.length + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0);
      if (fromClient) clientSeq = (clientSeq + advance) >>> 0;
      else serverSeq = (serverSeq + advance) >>> 0;
    };
    const data = (fromClient: boolean, bytes: Buffer) => {
      if (!open) return;
      for (let i = 0; i < bytes.length; i += MAX_SEGMENT) write(fromClient, TCP_PSH | TCP_ACK, bytes.subarray(i, i + MAX_SEGMENT));
    };
    // A handshake so that Wireshark sees each stream from its start.
    write(true, TCP_SYN, Buffer.alloc(0));
    write(false, TCP_SYN | TCP_ACK, Buffer.alloc(0));
    write(true, TCP_ACK, Buffer.alloc(0));
    return {
      sent: (bytes) => data(true, bytes),
      received: (bytes) => data(false, bytes),
      closed: () => {
        if (!open) return;
        write(true, TCP_FIN | TCP_ACK, Buffer.alloc(0));
        open = false;
      },
    };
  }

  close(): Promise<void> {
    if (this.failed || this.ended) return Promise.resolve();
    this.ended = true;
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}
