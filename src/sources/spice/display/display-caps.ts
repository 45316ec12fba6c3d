import { decodableVideoCodecs } from '../decoders/video';
import { capWords } from '../link/link-messages';
import { DisplayCap, VideoCodec } from '../wire/constants';

const CODEC_CAPS: ReadonlyMap<number, number> = new Map([
  [VideoCodec.MJPEG, DisplayCap.CODEC_MJPEG],
  [VideoCodec.VP8, DisplayCap.CODEC_VP8],
  [VideoCodec.H264, DisplayCap.CODEC_H264],
]);

/**
 * What this client can take on display channels, as link capability words. Deliberately absent:
 * COMPOSITE and A8_SURFACE (the server then renders those itself), STREAM_REPORT (no bitrate
 * adaptation), GL_SCANOUT, and PREF_VIDEO_CODEC_TYPE: of the codecs offered, the server's own
 * order (SpiceVideoCodecs) chooses. `codecs` are the video codecs to offer, by default those
 * this client can decode.
 */
export function displayChannelCaps(codecs: readonly number[] = decodableVideoCodecs()): number[] {
  const codecCaps = codecs.flatMap((codec) => CODEC_CAPS.get(codec) ?? []);
  return capWords([
    DisplayCap.SIZED_STREAM,
    DisplayCap.MONITORS_CONFIG,
    DisplayCap.LZ4,
    DisplayCap.PREF_COMPRESSION,
    DisplayCap.MULTI_CODEC,
    ...codecCaps,
  ]);
}
