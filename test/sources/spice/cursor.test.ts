import assert from 'node:assert/strict';
import type { PointerState } from '../../../src/core/pointer';
import { SpiceProtocolError } from '../../../src/sources/spice';
import { MAX_CACHED_CURSORS } from '../../../src/sources/spice/cursor/cursor-cache';
import { CursorChannel } from '../../../src/sources/spice/cursor/cursor-channel';
import type { CursorHeader } from '../../../src/sources/spice/cursor/cursor-messages';
import { decodeCursorShape } from '../../../src/sources/spice/cursor/cursor-shape-decoder';
import { PointerShapeRegistry } from '../../../src/sources/spice/cursor/pointer-shapes';
import { CursorMsg, CursorType } from '../../../src/sources/spice/wire/constants';
import { createLogger } from '../../../src/util/logger';
import { FakeConnection } from '../../support/spice/fake-connection';
import { cursorInit, cursorInvalOne, cursorMove, cursorSet, packBits, words, type CursorSpec } from '../../support/spice/messages';

const K = [0, 0, 0, 255];
const W = [255, 255, 255, 255];
const T = [0, 0, 0, 0];

function header(type: number, width: number, height: number, hotX = 0, hotY = 0): CursorHeader {
  return { unique: 0n, type, width, height, hotX, hotY };
}

/** The decoded RGBA as one array of 4-number pixels, for readable deep-equals. */
function pixels(rgba: Buffer): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < rgba.length; i += 4) out.push([...rgba.subarray(i, i + 4)]);
  return out;
}

describe('SPICE cursor shapes', () => {
  it('ALPHA: premultiplied ARGB words become straight RGBA', () => {
    const data = words([0x80402010, 0xff00ff00, 0x00000000, 0x10100800]);
    const shape = decodeCursorShape(header(CursorType.ALPHA, 2, 2, 1, 1), data);
    // 0x40 * 255 / 0x80 = 127.5 -> 128, 0x20 -> 63.75 -> 64, 0x10 -> 31.875 -> 32
    assert.deepEqual(pixels(shape.rgba), [[128, 64, 32, 128], [0, 255, 0, 255], T, [255, 128, 0, 16]]);
    assert.deepEqual([shape.width, shape.height, shape.hotX, shape.hotY], [2, 2, 1, 1]);
  });

  it('ALPHA: a shape with a colour above its alpha cannot be premultiplied and is taken as straight alpha', () => {
    const shape = decodeCursorShape(header(CursorType.ALPHA, 3, 1), words([0x77ffffff, 0x77804020, 0x00000000]));
    assert.deepEqual(pixels(shape.rgba), [[255, 255, 255, 0x77], [0x80, 0x40, 0x20, 0x77], T]);
  });

  it('MONO: AND/XOR masks give black, white, transparent, and inverted drawn black with a white outline', () => {
    const and = packBits(['0011', '1111', '1111']);
    const xor = packBits(['0101', '0000', '0000']);
    const shape = decodeCursorShape(header(CursorType.MONO, 4, 3), Buffer.concat([and, xor]));
    // (3,0) inverts: black; the transparent pixels touching it, (2,0), (2,1) and (3,1), turn white.
    assert.deepEqual(pixels(shape.rgba), [K, W, W, K, T, T, W, W, T, T, T, T]);
  });

  it('COLOR4: high nibble first, rows padded to a byte, 16-entry palette, then the AND mask', () => {
    const palette = words([0x000000, 0xff0000, 0x00ff00, 0xffffff, ...Array(12).fill(0)]);
    const indices = Buffer.from([0x12, 0x30, 0x03, 0x10]); // rows 1 2 3 / 0 3 1
    const mask = packBits(['001', '110']);
    const shape = decodeCursorShape(header(CursorType.COLOR4, 3, 2), Buffer.concat([indices, palette, mask]));
    const R = [255, 0, 0, 255];
    const G = [0, 255, 0, 255];
    // masked white inverts (black); masked black is transparent unless it touches an inverted pixel
    assert.deepEqual(pixels(shape.rgba), [R, G, K, W, K, R]);
  });

  it('COLOR8: one byte per index, 256-entry palette, then the AND mask', () => {
    const entries = Array(256).fill(0);
    entries[5] = 0xff123456; // the top byte is not part of the colour
    entries[200] = 0xabcdef;
    entries[255] = 0xffffff;
    const shape = decodeCursorShape(
      header(CursorType.COLOR8, 2, 2),
      Buffer.concat([Buffer.from([5, 200, 0, 255]), words(entries), packBits(['00', '10'])]),
    );
    // unmasked white is painted white, not inverted
    assert.deepEqual(pixels(shape.rgba), [[0x12, 0x34, 0x56, 255], [0xab, 0xcd, 0xef, 255], T, W]);
  });

  it('COLOR16: x1r5g5b5 words widened to 8 bits (31 -> 255, 16 -> 132), masked all-ones inverts', () => {
    const data = Buffer.alloc(8);
    [0xfc00, 0x4210, 0x0000, 0x7fff].forEach((v, i) => data.writeUInt16LE(v, i * 2));
    const shape = decodeCursorShape(header(CursorType.COLOR16, 2, 2), Buffer.concat([data, packBits(['00', '11'])]));
    assert.deepEqual(pixels(shape.rgba), [[255, 0, 0, 255], [132, 132, 132, 255], W, K]);
  });

  it('COLOR24: B, G, R bytes; a masked colour other than all-ones is transparent', () => {
    const data = Buffer.from([0x10, 0x20, 0x30, 1, 2, 3]);
    const shape = decodeCursorShape(header(CursorType.COLOR24, 2, 1), Buffer.concat([data, packBits(['01'])]));
    assert.deepEqual(pixels(shape.rgba), [[0x30, 0x20, 0x10, 255], T]);
  });

  it('COLOR32: xRGB words, a two-byte mask row for 9 pixels', () => {
    const colours = Array.from({ length: 9 }, (_, i) => 0xaa000000 | ((i * 20) << 16) | 7);
    colours[8] = 0;
    const shape = decodeCursorShape(header(CursorType.COLOR32, 9, 1), Buffer.concat([words(colours), packBits(['000000001'])]));
    assert.deepEqual(pixels(shape.rgba), [...Array.from({ length: 8 }, (_, i) => [i * 20, 0, 7, 255]), T]);
  });

  it('pulls a hot spot outside the image to its edge', () => {
    const shape = decodeCursorShape(header(CursorType.ALPHA, 2, 1, 9, 4), words([0, 0]));
    assert.deepEqual([shape.hotX, shape.hotY], [1, 0]);
  });

  it('refuses impossible sizes, short data and unknown types with the reason', () => {
    assert.throws(() => decodeCursorShape(header(CursorType.ALPHA, 0, 1), Buffer.alloc(0)), /cursor shape: 0x1 is outside 1\.\.512/);
    assert.throws(() => decodeCursorShape(header(CursorType.MONO, 513, 2), Buffer.alloc(1 << 20)), /513x2 is outside/);
    const short: [number, number][] = [
      [CursorType.ALPHA, 4 * 4 * 4],
      [CursorType.MONO, 2 * 4],
      [CursorType.COLOR4, 2 * 4 + 64 + 4],
      [CursorType.COLOR8, 16 + 1024 + 4],
      [CursorType.COLOR16, 32 + 4],
      [CursorType.COLOR24, 48 + 4],
      [CursorType.COLOR32, 64 + 4],
    ];
    for (const [type, size] of short) {
      assert.doesNotThrow(() => decodeCursorShape(header(type, 4, 4), Buffer.alloc(size)), `type ${type} with ${size} bytes`);
      assert.throws(
        () => decodeCursorShape(header(type, 4, 4), Buffer.alloc(size - 1)),
        (e: Error) =>
          e instanceof SpiceProtocolError && new RegExp(`4x4 needs ${size} bytes of data, the message has ${size - 1}`).test(e.message),
        `type ${type}`,
      );
    }
    assert.throws(() => decodeCursorShape(header(7, 4, 4), Buffer.alloc(4096)), /type 7 is not a SPICE cursor type/);
  });
});

describe('SPICE cursor channel', () => {
  let connection: FakeConnection;
  let reported: PointerState[];
  let channel: CursorChannel;
  const send = (type: number, body: Buffer) => connection.deliver({ type, body });
  const arrow = (unique: bigint, cacheMe = true, colour = 0xff112233): CursorSpec => ({
    type: CursorType.ALPHA,
    width: 1,
    height: 1,
    unique,
    cacheMe,
    data: words([colour]),
  });

  beforeEach(() => {
    connection = new FakeConnection();
    reported = [];
    channel = new CursorChannel(connection.asConnection, createLogger('t', { level: 'silent' }), new PointerShapeRegistry(), {
      pointer: (state) => reported.push(state),
    });
  });

  it('INIT, MOVE, HIDE, SET: one frozen state per change, nothing when nothing changed', () => {
    send(CursorMsg.INIT, cursorInit(10, 20, true, arrow(7n)));
    assert.equal(reported.length, 1);
    const first = reported[0];
    assert.deepEqual({ x: first.x, y: first.y, visible: first.visible }, { x: 10, y: 20, visible: true });
    assert.deepEqual([...first.shape!.rgba], [0x11, 0x22, 0x33, 255]);
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first.shape));
    send(CursorMsg.MOVE, cursorMove(-3, 40));
    send(CursorMsg.MOVE, cursorMove(-3, 40));
    assert.equal(reported.length, 2, 'a move to the same place reports nothing');
    assert.deepEqual([reported[1].x, reported[1].y, reported[1].visible], [-3, 40, true]);
    assert.equal(reported[1].shape, first.shape);
    send(CursorMsg.HIDE, Buffer.alloc(0));
    assert.equal(reported[2].visible, false);
    send(CursorMsg.MOVE, cursorMove(5, 5));
    assert.equal(reported[3].visible, true, 'a move shows a hidden pointer, as spice-server counts it');
    send(CursorMsg.SET, cursorSet(6, 6, false, 'none'));
    assert.deepEqual([reported[4].x, reported[4].visible, reported[4].shape], [6, false, undefined]);
    send(CursorMsg.TRAIL, Buffer.from([1, 0, 2, 0]));
    assert.equal(reported.length, 5, 'trails change nothing');
    assert.equal(connection.closedWith, undefined);
  });

  it('cache: CACHE_ME then FROM_CACHE gives the same shape; INVAL_ONE and INVAL_ALL drop entries', () => {
    send(CursorMsg.INIT, cursorInit(0, 0, true, arrow(7n)));
    send(CursorMsg.SET, cursorSet(1, 1, true, arrow(8n, true, 0xff445566)));
    send(CursorMsg.SET, cursorSet(2, 2, true, arrow(9n, false, 0xff778899)));
    assert.equal(channel.cachedShapes, 2, 'only CACHE_ME shapes are kept');
    send(CursorMsg.SET, cursorSet(3, 3, true, { fromCache: 7n }));
    assert.equal(reported.at(-1)!.shape, reported[0].shape);
    send(CursorMsg.INVAL_ONE, cursorInvalOne(7n));
    assert.equal(channel.cachedShapes, 1);
    assert.equal(reported.at(-1)!.shape, reported[0].shape, 'the pointer on screen keeps its shape');
    send(CursorMsg.SET, cursorSet(4, 4, true, { fromCache: 8n }));
    assert.deepEqual([...reported.at(-1)!.shape!.rgba], [0x44, 0x55, 0x66, 255]);
    send(CursorMsg.INVAL_ALL, Buffer.alloc(0));
    assert.equal(channel.cachedShapes, 0);
    send(CursorMsg.SET, cursorSet(5, 5, true, { fromCache: 8n }));
    assert.ok(connection.closedWith instanceof SpiceProtocolError);
    assert.match(connection.closedWith.message, /FROM_CACHE names shape 8, which is not in the cache/);
  });

  it('INIT empties the cache; RESET drops the shape and hides the pointer', () => {
    send(CursorMsg.INIT, cursorInit(0, 0, true, arrow(7n)));
    send(CursorMsg.INIT, cursorInit(1, 1, false, 'none'));
    assert.equal(channel.cachedShapes, 0);
    assert.deepEqual([reported[1].visible, reported[1].shape], [false, undefined]);
    send(CursorMsg.SET, cursorSet(2, 2, true, arrow(3n)));
    send(CursorMsg.RESET, Buffer.alloc(0));
    assert.equal(channel.cachedShapes, 0);
    assert.deepEqual({ ...reported.at(-1)! }, { x: 2, y: 2, visible: false, shape: undefined });
  });

  it('the same image gets the same id whether cached, re-sent or sent under another unique id', () => {
    send(CursorMsg.INIT, cursorInit(0, 0, true, arrow(7n)));
    send(CursorMsg.SET, cursorSet(1, 0, true, arrow(0n, false, 0xff000001)));
    send(CursorMsg.SET, cursorSet(2, 0, true, arrow(0n, false, 0xff112233)));
    send(CursorMsg.SET, cursorSet(3, 0, true, arrow(12n)));
    assert.equal(reported.length, 4);
    const ids = reported.map((r) => r.shape!.id);
    assert.equal(ids[0], ids[2]);
    assert.equal(ids[0], ids[3]);
    assert.notEqual(ids[0], ids[1]);
  });

  it(`keeps at most ${MAX_CACHED_CURSORS} cached shapes, dropping the oldest`, () => {
    send(CursorMsg.INIT, cursorInit(0, 0, true, 'none'));
    for (let i = 1; i <= MAX_CACHED_CURSORS + 1; i++) send(CursorMsg.SET, cursorSet(0, 0, true, arrow(BigInt(i), true, i)));
    assert.equal(channel.cachedShapes, MAX_CACHED_CURSORS);
    send(CursorMsg.SET, cursorSet(0, 0, true, { fromCache: 2n }));
    assert.equal(connection.closedWith, undefined);
    send(CursorMsg.SET, cursorSet(0, 0, true, { fromCache: 1n }));
    assert.match(connection.closedWith!.message, /names shape 1/);
  });

  it('truncated or malformed messages close the channel with a protocol error naming the field', () => {
    const cases: [number, Buffer, RegExp][] = [
      [CursorMsg.MOVE, Buffer.from([1, 0, 2]), /CURSOR_MOVE: truncated at position/],
      [CursorMsg.INIT, cursorInit(0, 0, true, arrow(1n)).subarray(0, 12), /CURSOR_INIT: truncated at cursor\.header\.unique/],
      [CursorMsg.SET, cursorSet(0, 0, true, arrow(1n)).subarray(0, 5), /CURSOR_SET: truncated at cursor\.flags/],
      [
        CursorMsg.SET,
        cursorSet(0, 0, true, { ...(arrow(1n) as object), flags: 0x10 } as CursorSpec),
        /cursor\.flags 0x10 has unknown bits/,
      ],
      [CursorMsg.SET, cursorSet(0, 0, true, arrow(1n)).subarray(0, 25), /ALPHA 1x1 needs 4 bytes of data, the message has 1/],
      [CursorMsg.INVAL_ONE, Buffer.alloc(7), /CURSOR_INVAL_ONE: truncated at id/],
      [CursorMsg.TRAIL, Buffer.alloc(3), /CURSOR_TRAIL: truncated at frequency/],
    ];
    for (const [type, body, expected] of cases) {
      const c = new FakeConnection();
      new CursorChannel(c.asConnection, createLogger('t', { level: 'silent' }), new PointerShapeRegistry(), { pointer: () => {} });
      c.deliver({ type, body });
      assert.ok(c.closedWith instanceof SpiceProtocolError, `type ${type}: ${c.closedWith}`);
      assert.match(c.closedWith.message, expected);
    }
  });
});
