// Registers the custom elements. Only in a page: this module (and the element classes, which extend
// HTMLElement) is never evaluated when the widget script runs as the engine's worker (index.ts).

import { HarmonAskElement } from './harmon-ask';
import { HarmonImageElement } from './harmon-image';

export { HarmonAskElement, HarmonImageElement };
export type * from './events';

declare global {
  interface HTMLElementTagNameMap {
    'harmon-image': HarmonImageElement;
    'harmon-ask': HarmonAskElement;
  }
}

export function defineElements(registry: CustomElementRegistry = customElements): void {
  // the script included twice (two URLs, two module instances) must not fail on the second define
  if (!registry.get('harmon-image')) registry.define('harmon-image', HarmonImageElement);
  if (!registry.get('harmon-ask')) registry.define('harmon-ask', HarmonAskElement);
}
