/**
 * A still-image source whose desktop is divided into displays the test sets, as a SPICE guest
 * with several monitor heads reports them.
 */
import type { Display } from '../../src/core/display';
import { ImageSource, type StillImage } from '../../src/sources';

export class HeadsImageSource extends ImageSource {
  private heads: readonly Display[];

  constructor(image: StillImage, heads: readonly Display[]) {
    super('image with heads', async () => image);
    this.heads = heads;
  }

  setDisplays(heads: readonly Display[]): void {
    this.heads = heads;
  }

  displays(): readonly Display[] {
    return this.heads;
  }
}
