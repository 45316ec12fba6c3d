/** The protobuf descriptor set that server reflection serves, as generated into src/gen. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = 'descriptors.binpb';

export function loadDescriptorSet(): Buffer {
  // From src/server (run as TypeScript) the file is at ../gen; from dist/src/server it stays in
  // the source tree, three levels up: the build does not copy it.
  const candidates = [join(__dirname, '..', 'gen', FILE), join(__dirname, '..', '..', '..', 'src', 'gen', FILE)];
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`descriptor set not found (looked in ${candidates.join(', ')}); run npm run generate`);
  return readFileSync(found);
}
