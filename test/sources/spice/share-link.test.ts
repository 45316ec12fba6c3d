import assert from 'node:assert/strict';
import { buildLinkMess, capWords } from '../../../src/sources/spice/link/link-messages';
import { parseViewerLinkHeader, rewriteViewerLink } from '../../../src/sources/spice/share/viewer-link';
import { ChannelType, CommonCap, DisplayCap } from '../../../src/sources/spice/wire/constants';
import { SpiceProtocolError } from '../../../src/sources/spice/wire/errors';

/** A viewer offering every display cap up to H.265 (bit 14): spice-gtk with GStreamer offers most of them. */
const VIEWER_DISPLAY_CAPS = capWords([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);

describe("share port: the viewer's link message", () => {
  it('clears the display caps screencap cannot follow, in place: same size, same word counts', () => {
    const request = {
      connectionId: 7,
      channelType: ChannelType.DISPLAY,
      channelId: 0,
      commonCaps: capWords([CommonCap.AUTH_SELECTION, CommonCap.MINI_HEADER]),
      channelCaps: VIEWER_DISPLAY_CAPS,
    };
    const original = buildLinkMess(request);
    const bytes = Buffer.from(original);
    assert.equal(parseViewerLinkHeader(bytes.subarray(0, 16)), bytes.length - 16);
    const link = rewriteViewerLink(bytes.subarray(16));
    assert.deepEqual(
      { connectionId: link.connectionId, channelType: link.channelType, channelId: link.channelId, commonCaps: link.commonCaps },
      { connectionId: 7, channelType: ChannelType.DISPLAY, channelId: 0, commonCaps: request.commonCaps },
    );
    const kept = [
      DisplayCap.SIZED_STREAM,
      DisplayCap.MONITORS_CONFIG,
      DisplayCap.STREAM_REPORT,
      DisplayCap.LZ4,
      DisplayCap.PREF_COMPRESSION,
      DisplayCap.MULTI_CODEC,
      DisplayCap.CODEC_MJPEG,
      12,
    ];
    assert.deepEqual(link.channelCaps, capWords(kept), 'COMPOSITE, A8_SURFACE, GL_SCANOUT, VP8, H.264, VP9 and H.265 are cleared');
    assert.equal(bytes.length, original.length);
    assert.deepEqual(bytes.subarray(0, bytes.length - 4), original.subarray(0, original.length - 4), 'only the channel cap word changed');
    assert.equal(bytes.readUInt32LE(bytes.length - 4), capWords(kept)[0]);
  });

  it("passes other channels' caps untouched", () => {
    const original = buildLinkMess({
      connectionId: 7,
      channelType: ChannelType.CURSOR,
      channelId: 0,
      commonCaps: [],
      channelCaps: [0xffffffff],
    });
    const bytes = Buffer.from(original);
    rewriteViewerLink(bytes.subarray(16));
    assert.deepEqual(bytes, original);
  });

  it("refuses what is not a viewer's link message, saying why", () => {
    const bytes = buildLinkMess({ connectionId: 0, channelType: ChannelType.MAIN, channelId: 0, commonCaps: [], channelCaps: [] });
    assert.throws(
      () => parseViewerLinkHeader(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n')),
      /viewer link header: magic is 0x20544547, expected "REDQ"/,
    );
    const huge = Buffer.from(bytes.subarray(0, 16));
    huge.writeUInt32LE(1 << 20, 12);
    assert.throws(() => parseViewerLinkHeader(huge), /message size 1048576 is out of range/);
    const body = Buffer.from(bytes.subarray(16));
    body.writeUInt32LE(100, 6);
    assert.throws(
      () => rewriteViewerLink(body),
      (error: Error) =>
        error instanceof SpiceProtocolError && /100\+0 capability words at offset 18 do not fit in 18 bytes/.test(error.message),
    );
  });
});
