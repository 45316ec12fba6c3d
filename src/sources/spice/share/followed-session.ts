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
 * A viewer's session as screencap follows it: its display channels and their cursor channels,
 * read from the relayed traffic, reporting to the same events as screencap's own session (per
 * channel id). Nothing is ever sent: the viewer answers the server.
 */
export class FollowedSession {
  private readonly displays: DisplayChannel[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly pointerShapes: PointerShapeRegistry,
    private readonly displayEvents: (channelId: number) => DisplayEvents,
    private readonly cursorEvents: (channelId: number) => CursorEvents,
  ) {}

  /** True while a followed display applies a batch asynchronously. */
  get busy(): boolean {
    return this.displays.some((display) => display.busy);
  }

  followDisplay(followed: FollowedDisplay): void {
    const clamp = (pixels: number) => Math.min(Math.max(pixels, 1), MAX_FOLLOWED_CACHE_PIXELS);
    const display = new DisplayChannel(
      followed.channel,
      {
        channelId: followed.channelId,
        logger: this.logger.child(`shared-display${followed.channelId}`),
        serverCaps: followed.serverCaps,
        cacheSizePixels: clamp(followed.cacheSizePixels),
        glzWindowPixels: clamp(followed.glzWindowPixels),
      },
      this.displayEvents(followed.channelId),
    );
    this.displays.push(display);
  }

  followCursor(channel: TappedChannel, channelId: number): void {
    new CursorChannel(channel, this.logger.child(`shared-cursor${channelId}`), this.pointerShapes, this.cursorEvents(channelId));
  }
}
