/**
 * Tokens come from a pool of random bytes refilled from the system (src/server/tokens.ts): each
 * byte is used once, so tokens stay distinct across refills, and each is as long as its bits say.
 */
import assert from 'node:assert/strict';
import { IMPORT_TOKEN_BITS, randomToken, RELEASE_TOKEN_BITS } from '../../src/server/tokens';

describe('random tokens', () => {
  it('are distinct across many refills of the pool, 128 and 256 bits long', () => {
    const seen = new Set<string>();
    // 3000 tokens each of 16 and 32 bytes: 144 kB, about 35 refills of the 4 kB pool.
    for (let i = 0; i < 3000; i++) {
      const release = randomToken(RELEASE_TOKEN_BITS);
      const imported = randomToken(IMPORT_TOKEN_BITS);
      assert.equal(Buffer.from(release, 'base64url').length, 16);
      assert.equal(Buffer.from(imported, 'base64url').length, 32);
      seen.add(release);
      seen.add(imported);
    }
    assert.equal(seen.size, 6000);
  });

  it('use every byte value: the pool is filled, not left zero', () => {
    const bytes = Buffer.concat(Array.from({ length: 512 }, () => Buffer.from(randomToken(RELEASE_TOKEN_BITS), 'base64url')));
    assert.equal(new Set(bytes).size, 256);
  });
});
