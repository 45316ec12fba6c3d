import { randomBytes } from 'node:crypto';

/** An unguessable token: `bits` random bits, base64url. */
export function randomToken(bits: number): string {
  return randomBytes(Math.ceil(bits / 8)).toString('base64url');
}

/** Session ids and release tokens: 128 bits. Import tokens: 256 bits (they outlive a call). */
export const SESSION_ID_BITS = 128;
export const RELEASE_TOKEN_BITS = 128;
export const IMPORT_TOKEN_BITS = 256;
