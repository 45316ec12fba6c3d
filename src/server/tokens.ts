import { randomFillSync } from 'node:crypto';

/**
 * Random bytes are drawn from the system a pool at a time: a release token goes out with every
 * frame to every client (480 a second for 8 clients at 60 Hz), and one getrandom call each cost
 * about 20 µs of the event loop that answers them all. The pool's bytes are used once each.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

function randomBytesFromPool(count: number): Buffer {
  if (count > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} random bytes at a time, asked for ${count}`);
  if (used + count > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const bytes = pool.subarray(used, used + count);
  used += count;
  return bytes;
}

/** An unguessable token: `bits` random bits, base64url. */
export function randomToken(bits: number): string {
  return randomBytesFromPool(Math.ceil(bits / 8)).toString('base64url');
}

/** Session ids and release tokens: 128 bits. Import tokens: 256 bits (they outlive a call). */
export const SESSION_ID_BITS = 128;
export const RELEASE_TOKEN_BITS = 128;
export const IMPORT_TOKEN_BITS = 256;
