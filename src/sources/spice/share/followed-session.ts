import type { Logger } from '../../../util/logger';
import { CursorChannel, type CursorEvents } from '../cursor/cursor-channel';
import type { PointerShapeRegistry } from '../cursor/pointer-shapes';
import { DisplayChannel, type DisplayEvents } from '../display/display-channel';
import type { FollowedDisplay } from './share-relay';
import type { TappedChannel } from './tapped-channel';

/**
 * Upper bound on the pixmap cache and GLZ window taken over from a viewer's announcement: the
 * server fills them to the size the viewer named, and screencap must hold as much to follow, but
 * not without limit (4 bytes a pixel).
 */
const MAX_FOLLOWED_CACHE_PIXELS = 64 * 1024 * 1024;

/**
 * A viewer's session as screencap follows it: the display and cursor channels of the captured
 * display, read from the relayed traffic, reporting to the same events as screencap's own session.
 * Nothing is ever sent: the viewer answers the server.
 */
export class FollowedSession {
  private display: DisplayChannel | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly pointerShapes: PointerShapeRegistry,
    private readonly displayEvents: DisplayEvents,
    private readonly cursorEvents: CursorEvents,
  ) {}

  /** True while the followed display applies a batch asynchronously. */
  get busy(): boolean {
    return this.display?.busy ?? false;
  }

  followDisplay(followed: FollowedDisplay): void {
    const clamp = (pixels: number) => Math.min(Math.max(pixels, 1), MAX_FOLLOWED_CACHE_PIXELS);
    this.display = new DisplayChannel(
      followed.channel,
      {
        channelId: followed.channelId,
        logger: this.logger.child(`shared-display${followed.channelId}`),
        serverCaps: followed.serverCaps,
        cacheSizePixels: clamp(followed.cacheSizePixels),
        glzWindowPixels: clamp(followed.glzWindowPixels),
      },
      this.displayEvents,
    );
  }

  followCursor(channel: TappedChannel): void {
    new CursorChannel(channel, this.logger.child('shared-cursor'), this.pointerShapes, this.cursorEvents);
  }
}
