import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, privateDecrypt } from 'node:crypto';
import { parseSpiceUri, SpiceProtocolError } from '../../../src/sources/spice';
import { buildLinkMess, capWords, hasCap, parseLinkHeader, parseLinkReply } from '../../../src/sources/spice/link/link-messages';
import { encryptTicket } from '../../../src/sources/spice/link/ticket';
import { buildMessage, MessageFramer } from '../../../src/sources/spice/wire/framing';
import { parseDrawCopy } from '../../../src/sources/spice/display/display-messages';

describe('SPICE wire format', () => {
  it('frames mini-header messages fed in odd-sized chunks', () => {
    const messages = [
      { type: 302, body: Buffer.from('first message body') },
      { type: 4, body: Buffer.alloc(0) },
      { type: 318, body: Buffer.alloc(1000, 7) },
    ];
    const stream = Buffer.concat(messages.map((m, i) => buildMessage(m.type, m.body, true, BigInt(i + 1))));
    for (const size of [1, 2, 3, 7, 64]) {
      const framer = new MessageFramer(true);
      const out = [];
      for (let i = 0; i < stream.length; i += size) out.push(...framer.push(stream.subarray(i, i + size)));
      assert.deepEqual(
        out.map((m) => [m.type, m.body.toString('hex')]),
        messages.map((m) => [m.type, m.body.toString('hex')]),
      );
      assert.equal(framer.pending, 0);
    }
  });

  it('frames full-header messages and keeps serials in the header', () => {
    const bytes = buildMessage(101, Buffer.from([1, 2, 3]), false, 5n);
    assert.equal(bytes.length, 18 + 3);
    assert.equal(bytes.readBigUInt64LE(0), 5n);
    const [message] = new MessageFramer(false).push(bytes);
    assert.equal(message.type, 101);
    assert.deepEqual([...message.body], [1, 2, 3]);
  });

  it('refuses a message that claims an absurd size before buffering it', () => {
    const head = Buffer.alloc(6);
    head.writeUInt16LE(302, 0);
    head.writeUInt32LE(0xffffffff, 2);
    assert.throws(() => new MessageFramer(true).push(head), /claims 4294967295 bytes/);
  });

  it('names the field when a draw message is truncated', () => {
    const body = Buffer.alloc(20);
    assert.throws(
      () => parseDrawCopy(body, 'DRAW_COPY'),
      (e: unknown) => e instanceof SpiceProtocolError && /DRAW_COPY: truncated at base\.clip\.type/.test(e.message),
    );
  });
});

describe('SPICE link', () => {
  it('builds SpiceLinkMess with the REDQ header and capability words', () => {
    const bytes = buildLinkMess({
      connectionId: 42,
      channelType: 2,
      channelId: 1,
      commonCaps: capWords([0, 1, 3]),
      channelCaps: capWords([5, 6]),
    });
    assert.equal(bytes.toString('latin1', 0, 4), 'REDQ');
    assert.deepEqual([bytes.readUInt32LE(4), bytes.readUInt32LE(8), bytes.readUInt32LE(12)], [2, 2, 18 + 8]);
    assert.equal(bytes.readUInt32LE(16), 42);
    assert.deepEqual([bytes[20], bytes[21]], [2, 1]);
    assert.deepEqual([bytes.readUInt32LE(22), bytes.readUInt32LE(26), bytes.readUInt32LE(30)], [1, 1, 18]);
    assert.deepEqual([bytes.readUInt32LE(34), bytes.readUInt32LE(38)], [0b1011, 0b1100000]);
  });

  it('parses a link reply and its capabilities; rejects a non-SPICE peer by its magic', () => {
    const reply = Buffer.alloc(4 + 162 + 12 + 8);
    reply.writeUInt32LE(0, 0);
    reply.writeUInt32LE(1, 166);
    reply.writeUInt32LE(1, 170);
    reply.writeUInt32LE(178, 174);
    reply.writeUInt32LE(0b1001, 178);
    reply.writeUInt32LE(1 << 6, 182);
    const parsed = parseLinkReply(reply);
    assert.ok(hasCap(parsed.commonCaps, 3) && hasCap(parsed.commonCaps, 0) && !hasCap(parsed.commonCaps, 1));
    assert.ok(hasCap(parsed.channelCaps, 6));
    assert.throws(() => parseLinkHeader(Buffer.from('HTTP/1.1 400 Bad')), /expected "REDQ"/);
  });

  it('encrypts the ticket with RSA-OAEP/SHA-1 so that the server key recovers password + NUL', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const der = publicKey.export({ format: 'der', type: 'spki' });
    assert.equal(der.length, 162);
    for (const password of ['', 'open sesame']) {
      const ticket = encryptTicket(der, password);
      assert.equal(ticket.length, 128);
      const plain = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, ticket);
      assert.deepEqual(plain, Buffer.concat([Buffer.from(password), Buffer.from([0])]));
    }
    assert.throws(() => encryptTicket(der, 'x'.repeat(60)), /at most 59 bytes/);
  });
});

describe('parseSpiceUri', () => {
  it('accepts spice:// and spice+tls:// with a port, IPv6 in brackets', () => {
    assert.deepEqual(parseSpiceUri('spice://127.0.0.1:5900'), { host: '127.0.0.1', port: 5900, tls: false });
    assert.deepEqual(parseSpiceUri('spice+tls://vm.example:5901'), { host: 'vm.example', port: 5901, tls: true });
    assert.deepEqual(parseSpiceUri('spice://[::1]:5930/'), { host: '::1', port: 5930, tls: false });
  });

  it('rejects other schemes, missing or bad ports, with the reason', () => {
    assert.throws(() => parseSpiceUri('vnc://host:5900'), /must look like spice:\/\/host:port/);
    assert.throws(() => parseSpiceUri('spice://host'), /must look like/);
    assert.throws(() => parseSpiceUri('spice://host:70000'), /port must be between 1 and 65535/);
  });
});
