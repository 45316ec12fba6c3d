import type { SpiceDisplaySource } from '../../../src/sources/spice';
import type { DecodedImage } from '../../../src/sources/spice/decoders/decoded-image';
import type { ImageDescriptor } from '../../../src/sources/spice/display/image-descriptor';

export interface CapturedImage {
  descriptor: ImageDescriptor;
  decoded: DecodedImage;
}

/**
 * Records every image the source's first display channel decodes, in order, by wrapping its
 * resolver. Call once the channel exists (after the first surface). A `transient` decoded image
 * (see DecodedImage) holds its pixels only until the next few decodes: keep the descriptor.
 */
export function captureImages(source: SpiceDisplaySource): CapturedImage[] {
  const captured: CapturedImage[] = [];
  const resolver = source.displayChannels()[0].images;
  const resolve = resolver.resolve.bind(resolver);
  resolver.resolve = (descriptor) => {
    const result = resolve(descriptor);
    if (result instanceof Promise)
      return result.then((decoded) => {
        captured.push({ descriptor, decoded });
        return decoded;
      });
    captured.push({ descriptor, decoded: result });
    return result;
  };
  return captured;
}

/** JSON form of a descriptor: bigints as strings, byte arrays as base64. */
export function descriptorToJson(descriptor: ImageDescriptor): unknown {
  return JSON.parse(
    JSON.stringify(descriptor, (_key, value: unknown) => {
      if (typeof value === 'bigint') return { $bigint: value.toString() };
      if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') {
        return { $base64: Buffer.from((value as { data: number[] }).data).toString('base64') };
      }
      if (value instanceof Uint32Array) return { $u32: Array.from(value) };
      return value;
    }),
  );
}

export function descriptorFromJson(json: unknown): ImageDescriptor {
  return JSON.parse(JSON.stringify(json), (_key, value: unknown) => {
    if (value && typeof value === 'object') {
      const v = value as { $bigint?: string; $base64?: string; $u32?: number[] };
      if (v.$bigint !== undefined) return BigInt(v.$bigint);
      if (v.$base64 !== undefined) return Buffer.from(v.$base64, 'base64');
      if (v.$u32 !== undefined) return Uint32Array.from(v.$u32);
    }
    return value;
  }) as ImageDescriptor;
}
