/** gRPC's message framing on a byte stream, as the local frame socket uses it. */
import assert from 'node:assert/strict';
import { FramingError, framedMessage, messagePrefix, MessageReader, PREFIX_BYTES } from '../../src/protocol/length-prefixed';

describe('length-prefixed messages', () => {
  const messages = [Buffer.from('first'), Buffer.alloc(0), Buffer.alloc(70_000, 7), Buffer.from('last')];
  const stream = Buffer.concat(messages.map((message) => framedMessage(message)));

  it('frames a message as gRPC does: flag 0, the length big-endian, the bytes', () => {
    assert.deepEqual([...framedMessage(Buffer.from('abc'))], [0, 0, 0, 0, 3, 0x61, 0x62, 0x63]);
    assert.deepEqual([...messagePrefix(0x01020304)], [0, 1, 2, 3, 4]);
    assert.equal(
      stream.length,
      messages.reduce((sum, m) => sum + m.length + PREFIX_BYTES, 0),
    );
  });

  it('reads the same messages whatever the chunks: all at once, byte by byte, or cut anywhere', () => {
    const cuts: Buffer[][] = [
      [stream],
      [...stream].map((byte) => Buffer.from([byte])),
      [stream.subarray(0, 3), stream.subarray(3, 9), stream.subarray(9, 40_000), stream.subarray(40_000)],
    ];
    for (const chunks of cuts) {
      const reader = new MessageReader(100_000);
      const read = chunks.flatMap((chunk) => reader.push(chunk));
      assert.deepEqual(
        read.map((m) => m.length),
        messages.map((m) => m.length),
      );
      read.forEach((message, i) => assert.ok(message.equals(messages[i]!), `message ${i} of ${chunks.length} chunks`));
    }
  });

  it('refuses a message over its limit on the prefix alone, and a compressed one', () => {
    const reader = new MessageReader(10);
    assert.deepEqual(reader.push(framedMessage(Buffer.alloc(10))).length, 1, 'the limit itself is allowed');
    assert.throws(
      () => reader.push(messagePrefix(11)),
      (error: unknown) => error instanceof FramingError && /11 bytes, more than the limit of 10/.test(error.message),
    );
    assert.throws(
      () => new MessageReader(10).push(Buffer.from([1, 0, 0, 0, 1, 9])),
      (error: unknown) => error instanceof FramingError && /compressed/.test(error.message),
    );
  });
});
