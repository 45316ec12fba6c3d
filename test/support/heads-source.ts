/**
 * A still-image source whose desktop is divided into displays the test sets, as a SPICE guest
 * with several monitor heads reports them; with a pointer the test sets, as its cursor channel
 * would.
 */
import type { Display } from '../../src/core/display';
import type { StillImage } from '../../src/sources';
import { PointerImageSource } from './pointer-source';

export class HeadsImageSource extends PointerImageSource {
  private heads: readonly Display[];

  constructor(image: StillImage, heads: readonly Display[]) {
    super(image);
    this.heads = heads;
  }

  setDisplays(heads: readonly Display[]): void {
    this.heads = heads;
  }

  displays(): readonly Display[] {
    return this.heads;
  }
}
