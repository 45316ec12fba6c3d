import type { PointerShape, PointerState } from '../../display-source';
import type { Logger } from '../../../util/logger';
import type { MessageChannel } from '../channels/channel-connection';
import { CursorMsg } from '../wire/constants';
import { SpiceProtocolError } from '../wire/errors';
import type { SpiceMessage } from '../wire/framing';
import { CursorCache } from './cursor-cache';
import {
  cursorMoveX,
  cursorMoveY,
  parseCursorInit,
  parseCursorInvalOne,
  parseCursorSet,
  parseCursorTrail,
  type WireCursor,
} from './cursor-messages';
import { cursorTypeName, decodeCursorShape } from './cursor-shape-decoder';
import type { PointerShapeRegistry } from './pointer-shapes';

export interface CursorEvents {
  /** A new pointer state, sent only when something in it changed. */
  pointer(state: PointerState): void;
}

/**
 * The cursor channel: the pointer's position, visibility and shape as the server's guest sets
 * them (spice-server forwards QXL cursor commands). Every change becomes a new frozen
 * PointerState. MOVE, the frequent message, reads two numbers and builds one small object.
 *
 * What each message does follows spice-server's own bookkeeping (cursor-channel.cpp): MOVE also
 * shows a hidden pointer (Xspice's "show cursor" is a MOVE), SET carries its own visibility, RESET
 * (the guest's display device was reset) drops the shape and hides the pointer until the guest sets
 * one again, and INVAL_ONE / INVAL_ALL only touch the cache, not the pointer on screen.
 */
export class CursorChannel {
  private readonly cache = new CursorCache();
  private state: PointerState | undefined;

  constructor(
    connection: MessageChannel,
    private readonly logger: Logger,
    private readonly shapes: PointerShapeRegistry,
    private readonly events: CursorEvents,
  ) {
    connection.onMessage = (message) => this.handle(message);
  }

  /** The latest state (diagnostics and tests). */
  get pointer(): PointerState | undefined {
    return this.state;
  }

  /** Number of cached shapes (diagnostics and tests). */
  get cachedShapes(): number {
    return this.cache.size;
  }

  private handle(message: SpiceMessage): void {
    switch (message.type) {
      case CursorMsg.INIT: {
        const init = parseCursorInit(message.body);
        this.cache.clear();
        this.update(init.x, init.y, init.visible, this.resolve(init.cursor));
        return;
      }
      case CursorMsg.RESET:
        this.cache.clear();
        if (this.state) this.update(this.state.x, this.state.y, false, undefined);
        return;
      case CursorMsg.SET: {
        const set = parseCursorSet(message.body);
        this.update(set.x, set.y, set.visible, this.resolve(set.cursor));
        return;
      }
      case CursorMsg.MOVE: {
        const x = cursorMoveX(message.body);
        const y = cursorMoveY(message.body);
        this.update(x, y, true, this.state?.shape);
        return;
      }
      case CursorMsg.HIDE:
        if (this.state) this.update(this.state.x, this.state.y, false, this.state.shape);
        return;
      case CursorMsg.TRAIL: {
        // Pointer trails (a Windows accessibility setting) are not drawn by this client.
        const trail = parseCursorTrail(message.body);
        this.logger.debug('cursor trail ignored', trail);
        return;
      }
      case CursorMsg.INVAL_ONE:
        this.cache.remove(parseCursorInvalOne(message.body));
        return;
      case CursorMsg.INVAL_ALL:
        this.cache.clear();
        return;
      default:
        this.logger.debug('ignoring cursor channel message', { type: message.type });
    }
  }

  /** The shape a SpiceCursor names: none, a cached one, or a new one (cached if asked). */
  private resolve(cursor: WireCursor): PointerShape | undefined {
    if (cursor.kind === 'none') return undefined;
    if (cursor.kind === 'cached') {
      const shape = this.cache.get(cursor.unique);
      if (!shape) throw new SpiceProtocolError(`cursor: FROM_CACHE names shape ${cursor.unique}, which is not in the cache`);
      return shape;
    }
    const { header } = cursor;
    const shape = this.shapes.intern(decodeCursorShape(header, cursor.data));
    this.logger.debug('cursor shape', { type: cursorTypeName(header.type), width: header.width, height: header.height, id: shape.id });
    if (cursor.cacheMe) this.cache.put(header.unique, shape);
    return shape;
  }

  private update(x: number, y: number, visible: boolean, shape: PointerShape | undefined): void {
    const s = this.state;
    if (s && s.x === x && s.y === y && s.visible === visible && s.shape === shape) return;
    this.state = Object.freeze({ x, y, visible, shape });
    this.events.pointer(this.state);
  }
}
