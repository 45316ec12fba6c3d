/** The ScreenCapture service: sessions, Configure, the GetNextFrame hanging get, ReleaseFrame. */
import type { ScreenCaptureServer } from '../gen/screencapture/v1/screen_capture.pb';
import {
  CursorMode,
  InlineCompression,
  InlineEncoding,
  PixelFormat,
  SourceState,
  type ConfigureRequest,
} from '../gen/screencapture/v1/screen_capture.pb';
import {
  cursorModeFromProto,
  degreesFromProto,
  durationFromMs,
  formatFromProto,
  formatToProto,
  scaleModeFromProto,
} from '../protocol/conversions';
import type { RenderTarget } from '../render/render-target';
import type { SourceStatus } from '../sources/display-source';
import type { FrameScheduler } from '../scheduler/frame-scheduler';
import type { Logger } from '../util/logger';
import { unaryHandler } from './call-handler';
import type { CaptureManager } from './capture-manager';
import { badOperation, invalid, missing } from './errors';
import { peerHost } from './shared-memory';
import { isLoopback } from '../util/listen-address';
import { MAX_IMAGE_SIDE } from '../core/limits';
import { frameInfo } from './frame-info';
import { frameStreamHandler } from './frame-stream';
import { inlineReply } from './inline-replies';
import type { InlineEncoding as InlineEncodingChoice } from './session';

/** Checks Configure's arguments in Scenic's order (size, token, then values) and builds the target. */
function targetFromRequest(request: ConfigureRequest): RenderTarget {
  if (!request.imageSize) throw missing('image_size');
  if (!request.importToken) throw missing('import_token');
  for (const side of ['width', 'height'] as const) {
    const value = request.imageSize[side];
    if (value === 0 || value > MAX_IMAGE_SIDE) {
      throw invalid(`image_size.${side}`, `must be from 1 to ${MAX_IMAGE_SIDE}, got ${value}`);
    }
  }
  const rotation = degreesFromProto(request.rotation);
  if (rotation === undefined) throw invalid('rotation', `unknown rotation ${request.rotation}`);
  const format = formatFromProto(request.pixelFormat);
  if (format === undefined) {
    if (request.pixelFormat === 0) throw missing('pixel_format');
    throw invalid('pixel_format', `unknown pixel format ${request.pixelFormat}`);
  }
  const scaleMode = scaleModeFromProto(request.scaleMode);
  if (scaleMode === undefined) throw invalid('scale_mode', `unknown scale mode ${request.scaleMode}`);
  const cursor = cursorModeFromProto(request.cursorMode ?? CursorMode.CURSOR_MODE_UNSPECIFIED);
  if (cursor === undefined) throw invalid('cursor_mode', `unknown cursor mode ${request.cursorMode}`);
  return { width: request.imageSize.width, height: request.imageSize.height, rotation, format, scaleMode, cursor };
}

/** Configure's inline_encoding and inline_compression. */
function inlineEncodingFromRequest(request: ConfigureRequest): InlineEncodingChoice {
  const encoding = request.inlineEncoding ?? InlineEncoding.INLINE_ENCODING_UNSPECIFIED;
  const compression = request.inlineCompression ?? InlineCompression.INLINE_COMPRESSION_UNSPECIFIED;
  if (encoding === InlineEncoding.INLINE_ENCODING_UNSPECIFIED || encoding === InlineEncoding.INLINE_ENCODING_FULL) {
    if (compression !== InlineCompression.INLINE_COMPRESSION_UNSPECIFIED) {
      throw invalid('inline_compression', 'applies to INLINE_ENCODING_DAMAGE_RECTS only; leave it unset for full frames');
    }
    return { rects: false };
  }
  if (encoding !== InlineEncoding.INLINE_ENCODING_DAMAGE_RECTS) throw invalid('inline_encoding', `unknown inline encoding ${encoding}`);
  switch (compression) {
    case InlineCompression.INLINE_COMPRESSION_UNSPECIFIED:
    case InlineCompression.INLINE_COMPRESSION_DEFLATE:
      return { rects: true, compression: 'deflate' };
    case InlineCompression.INLINE_COMPRESSION_NONE:
      return { rects: true, compression: 'none' };
    case InlineCompression.INLINE_COMPRESSION_BROTLI:
      return { rects: true, compression: 'brotli' };
    default:
      throw invalid('inline_compression', `unknown inline compression ${compression}`);
  }
}

function sourceStateOf(status: SourceStatus): SourceState {
  if (status.live) return SourceState.SOURCE_STATE_LIVE;
  return status.displaced ? SourceState.SOURCE_STATE_DISPLACED : SourceState.SOURCE_STATE_DOWN;
}

/** The byte order of the source's pictures, as its latest frame has them; unspecified before any. */
function formatOfLatest(scheduler: FrameScheduler): PixelFormat {
  const latest = scheduler.latest();
  return latest ? formatToProto(latest.format) : PixelFormat.PIXEL_FORMAT_UNSPECIFIED;
}

/**
 * The ScreenCapture service. `localFrameSocket` is the path of the server's local frame socket,
 * offered to clients on its machine; undefined when it serves none.
 */
export function screenCaptureService(
  manager: CaptureManager,
  scheduler: FrameScheduler,
  logger: Logger,
  localFrameSocket: string | undefined,
): ScreenCaptureServer {
  return {
    openSession: unaryHandler(logger, 'OpenSession', (request, call) => {
      const peer = call.getPeer();
      const session = manager.openSession(request.clientName.slice(0, 100), peer);
      return {
        sessionId: session.id,
        idleTimeout: durationFromMs(manager.idleTimeoutMs),
        localFrameSocket: localFrameSocket !== undefined && isLoopback(peerHost(peer)) ? localFrameSocket : '',
      };
    }),

    closeSession: unaryHandler(logger, 'CloseSession', (request) => {
      manager.closeSession(manager.session(request.sessionId), 'closed by the client');
      return {};
    }),

    getDisplayInfo: unaryHandler(logger, 'GetDisplayInfo', () => ({
      displaySize: scheduler.displaySize() ?? { width: 0, height: 0 },
      latestFrameNumber: scheduler.latest()?.number ?? 0,
      vsyncHz: scheduler.vsyncHz,
      source: scheduler.sourceDescription,
      sourceState: sourceStateOf(scheduler.sourceStatus),
      sourceDetail: scheduler.sourceStatus.detail,
      displays: scheduler.displays().map(({ id, name, width, height, x, y, primary }) => ({ id, name, width, height, x, y, primary })),
      pixelFormat: formatOfLatest(scheduler),
    })),

    configure: unaryHandler(logger, 'Configure', (request) =>
      manager.withSession(request.sessionId, (session) => {
        const configuration = manager.configure(
          session,
          request.importToken,
          targetFromRequest(request),
          request.maxReceiveMessageLength,
          inlineEncodingFromRequest(request),
          request.displayId,
        );
        return { stride: configuration.target.width * 4, bufferCount: configuration.collection.bufferCount };
      }),
    ),

    getNextFrame: unaryHandler(logger, 'GetNextFrame', async (request, call) => {
      const session = manager.session(request.sessionId);
      const pending = manager.getNextFrame(session, request);
      manager.beginCall(session);
      // A caller that goes away (cancel, deadline, disconnect) withdraws its call, so that its
      // next call is not refused as a second hanging get.
      const onCancelled = () => pending.cancel();
      call.on('cancelled', onCancelled);
      try {
        const delivery = await pending.frame;
        if (call.cancelled) {
          // Answered as the call went away: the client will never see this frame's token.
          delivery.withdraw();
          throw badOperation('the call was withdrawn (cancelled)');
        }
        return inlineReply(frameInfo(delivery), delivery);
      } finally {
        call.off('cancelled', onCancelled);
        manager.endCall(session);
      }
    }),

    streamFrames: frameStreamHandler(manager, logger, (delivery) => inlineReply(frameInfo(delivery), delivery)),

    releaseFrame: unaryHandler(logger, 'ReleaseFrame', (request) =>
      manager.withSession(request.sessionId, (session) => {
        manager.releaseFrame(session, request.releaseToken);
        return {};
      }),
    ),
  };
}
