import { readFileSync } from 'node:fs';

/** One TCP connection of a pcap written by the SPICE dump: the bytes each side sent, in order. */
export interface TcpStream {
  clientPort: number;
  serverPort: number;
  fromClient: Buffer;
  fromServer: Buffer;
  sawFin: boolean;
}

/** Reads a LINKTYPE_RAW pcap of IPv4/TCP and reassembles each connection by its client port. */
export function readPcapStreams(path: string): TcpStream[] {
  const file = readFileSync(path);
  if (file.readUInt32LE(0) !== 0xa1b2c3d4 || file.readUInt32LE(20) !== 101) throw new Error('not a LINKTYPE_RAW pcap');
  const streams = new Map<number, { clientPort: number; serverPort: number; c: Buffer[]; s: Buffer[]; fin: boolean }>();
  let p = 24;
  while (p + 16 <= file.length) {
    const length = file.readUInt32LE(p + 8);
    const packet = file.subarray(p + 16, p + 16 + length);
    p += 16 + length;
    const ihl = (packet[0] & 15) * 4;
    const tcp = packet.subarray(ihl);
    const src = tcp.readUInt16BE(0);
    const dst = tcp.readUInt16BE(2);
    const flags = tcp[13];
    const payload = tcp.subarray((tcp[12] >> 4) * 4);
    const syn = (flags & 0x02) !== 0 && (flags & 0x10) === 0;
    if (syn) streams.set(src, { clientPort: src, serverPort: dst, c: [], s: [], fin: false });
    const fromClient = streams.has(src) && streams.get(src)!.serverPort === dst;
    const stream = fromClient ? streams.get(src) : streams.get(dst);
    if (!stream) continue;
    if (flags & 0x01) stream.fin = true;
    if (payload.length) (fromClient ? stream.c : stream.s).push(Buffer.from(payload));
  }
  return [...streams.values()].map((s) => ({
    clientPort: s.clientPort,
    serverPort: s.serverPort,
    fromClient: Buffer.concat(s.c),
    fromServer: Buffer.concat(s.s),
    sawFin: s.fin,
  }));
}
