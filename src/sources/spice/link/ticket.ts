import { FieldError } from '../../../core/field-error';
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';

/** SPICE tickets hold at most 60 characters (SPICE_MAX_PASSWORD_LENGTH, including the NUL). */
export const MAX_PASSWORD_LENGTH = 60;

/**
 * The 128-byte ticket: RSA-OAEP (SHA-1, MGF1, empty label) of the password and a NUL byte, under
 * the per-link key the server sent. Servers decrypt it even with ticketing disabled, so an empty
 * password still produces a valid blob.
 */
export function encryptTicket(publicKeyDer: Buffer, password: string): Buffer {
  const secret = Buffer.from(password, 'utf8');
  if (secret.length + 1 > MAX_PASSWORD_LENGTH) {
    throw new FieldError('options.password', `must be at most ${MAX_PASSWORD_LENGTH - 1} bytes, got ${secret.length}`);
  }
  const key = createPublicKey({ key: publicKeyDer, format: 'der', type: 'spki' });
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.concat([secret, Buffer.from([0])]));
}
