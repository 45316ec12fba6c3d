/**
 * The protobuf descriptors that server reflection serves, from the FileDescriptorSet generated
 * into src/gen by `buf build`.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import type { PackageDefinition } from '@grpc/proto-loader';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = 'descriptors.binpb';

function loadDescriptorSet(): Buffer {
  // From src/server (run as TypeScript) the file is at ../gen; from dist/src/server it stays in
  // the source tree, three levels up: the build does not copy it.
  const candidates = [join(__dirname, '..', 'gen', FILE), join(__dirname, '..', '..', '..', 'src', 'gen', FILE)];
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`descriptor set not found (looked in ${candidates.join(', ')}); run npm run generate`);
  return readFileSync(found);
}

/** The serialized FileDescriptorProtos of a FileDescriptorSet (its repeated field 1), untouched. */
function fileDescriptorProtos(set: Uint8Array): Uint8Array[] {
  const files: Uint8Array[] = [];
  const reader = new BinaryReader(set);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) files.push(reader.bytes());
    else reader.skip(wireType);
  }
  return files;
}

/**
 * What @grpc/reflection reads: it only looks at each entry's fileDescriptorProtos. Giving it the
 * files exactly as buf compiled them keeps their names and imports, which reflection clients
 * (grpcurl, buf curl) need to link them; proto-loader's own loader would rebuild them merged.
 */
export function reflectionPackageDefinition(): PackageDefinition {
  const entry = { format: 'Protocol Buffer 3 DescriptorProto', type: {}, fileDescriptorProtos: fileDescriptorProtos(loadDescriptorSet()) };
  return { 'screencapture.v1': entry } as unknown as PackageDefinition;
}
