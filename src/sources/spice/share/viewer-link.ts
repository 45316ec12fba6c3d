import { capWords } from '../link/link-messages';
import { ChannelType, DisplayCap, LINK_MAGIC } from '../wire/constants';
import { SpiceProtocolError } from '../wire/errors';

/** The viewer's SpiceLinkMess as far as the relay needs it. */
export interface ViewerLink {
  connectionId: number;
  channelType: number;
  channelId: number;
  commonCaps: number[];
  channelCaps: number[];
}

/** A SpiceLinkMess is 18 bytes plus caps; real viewers send a few dozen. More is not a viewer. */
export const MAX_LINK_MESS_SIZE = 4096;

/**
 * Display capabilities of a viewer that screencap can follow: with them, the server sends nothing
 * its display channel cannot decode. Everything else (COMPOSITE and A8_SURFACE draw commands,
 * GL scan-out, VP8/H.264/VP9/H.265 streams) is cleared from the link the relay passes on, so the
 * server falls back to what both the viewer and screencap understand. Bit 12 is
 * PREF_VIDEO_CODEC_TYPE: it only lets the viewer state a preference among the codecs left.
 */
const FOLLOWABLE_DISPLAY_CAPS = capWords([
  DisplayCap.SIZED_STREAM,
  DisplayCap.MONITORS_CONFIG,
  DisplayCap.STREAM_REPORT,
  DisplayCap.LZ4,
  DisplayCap.PREF_COMPRESSION,
  DisplayCap.MULTI_CODEC,
  DisplayCap.CODEC_MJPEG,
  12,
]);

/** Checks a SpiceLinkHeader from a viewer; returns the size of the SpiceLinkMess that follows. */
export function parseViewerLinkHeader(header: Buffer): number {
  const magic = header.readUInt32LE(0);
  if (magic !== LINK_MAGIC) throw new SpiceProtocolError(`viewer link header: magic is 0x${magic.toString(16)}, expected "REDQ"`);
  const size = header.readUInt32LE(12);
  if (size < 18 || size > MAX_LINK_MESS_SIZE) throw new SpiceProtocolError(`viewer link header: message size ${size} is out of range`);
  return size;
}

/**
 * Reads the viewer's SpiceLinkMess and clears, in place, the display capabilities screencap could
 * not follow. Only bits change: the word counts, offsets and sizes stay as the viewer sent them.
 */
export function rewriteViewerLink(body: Buffer): ViewerLink {
  const connectionId = body.readUInt32LE(0);
  const channelType = body.readUInt8(4);
  const channelId = body.readUInt8(5);
  const numCommon = body.readUInt32LE(6);
  const numChannel = body.readUInt32LE(10);
  const capsOffset = body.readUInt32LE(14);
  if (numCommon + numChannel > 256 || capsOffset < 18 || capsOffset + 4 * (numCommon + numChannel) > body.length) {
    throw new SpiceProtocolError(
      `viewer link: ${numCommon}+${numChannel} capability words at offset ${capsOffset} do not fit in ${body.length} bytes`,
    );
  }
  const commonCaps: number[] = [];
  for (let i = 0; i < numCommon; i++) commonCaps.push(body.readUInt32LE(capsOffset + 4 * i));
  const channelCaps: number[] = [];
  for (let i = 0; i < numChannel; i++) {
    const at = capsOffset + 4 * (numCommon + i);
    let word = body.readUInt32LE(at);
    if (channelType === ChannelType.DISPLAY) {
      word = (word & (FOLLOWABLE_DISPLAY_CAPS[i] ?? 0)) >>> 0;
      body.writeUInt32LE(word, at);
    }
    channelCaps.push(word);
  }
  return { connectionId, channelType, channelId, commonCaps, channelCaps };
}
