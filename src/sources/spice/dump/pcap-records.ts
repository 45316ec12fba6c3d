/**
 * Pure builders for a pcap file of SPICE traffic: a global header (LINKTYPE_RAW, i.e. bare IPv4)
 * and IPv4+TCP packets that carry the bytes each side sent. Wireshark reassembles the TCP streams
 * and its SPICE dissector decodes them (Decode As... SPICE on the server port if it does not
 * recognise the port by itself).
 */

const LINKTYPE_RAW = 101;
export const MAX_SEGMENT = 60000;
export const TCP_SYN = 0x02;
export const TCP_ACK = 0x10;
export const TCP_PSH = 0x08;
export const TCP_FIN = 0x01;

export function pcapGlobalHeader(): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeInt32LE(0, 8);
  b.writeUInt32LE(0, 12);
  b.writeUInt32LE(262144, 16);
  b.writeUInt32LE(LINKTYPE_RAW, 20);
  return b;
}

function ipChecksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

export interface SegmentFields {
  timeMs: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  payload: Buffer;
}

/** One pcap record: record header, IPv4 header (127.0.0.1 both ways), TCP header, payload. */
export function pcapSegment(f: SegmentFields): Buffer {
  const ipLength = 20 + 20 + f.payload.length;
  const out = Buffer.alloc(16 + ipLength);
  const seconds = Math.floor(f.timeMs / 1000);
  out.writeUInt32LE(seconds, 0);
  out.writeUInt32LE(Math.floor((f.timeMs - seconds * 1000) * 1000), 4);
  out.writeUInt32LE(ipLength, 8);
  out.writeUInt32LE(ipLength, 12);
  const ip = out.subarray(16, 36);
  ip.writeUInt8(0x45, 0);
  ip.writeUInt16BE(ipLength, 2);
  ip.writeUInt16BE(0x4000, 6); // don't fragment
  ip.writeUInt8(64, 8);
  ip.writeUInt8(6, 9); // TCP
  ip.writeUInt32BE(0x7f000001, 12);
  ip.writeUInt32BE(0x7f000001, 16);
  ip.writeUInt16BE(ipChecksum(ip), 10);
  const tcp = out.subarray(36, 56);
  tcp.writeUInt16BE(f.srcPort, 0);
  tcp.writeUInt16BE(f.dstPort, 2);
  tcp.writeUInt32BE(f.seq >>> 0, 4);
  tcp.writeUInt32BE(f.ack >>> 0, 8);
  tcp.writeUInt8(5 << 4, 12);
  tcp.writeUInt8(f.flags, 13);
  tcp.writeUInt16BE(65535, 14);
  f.payload.copy(out, 56);
  return out;
}
