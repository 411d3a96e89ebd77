// What the demo page and the widget read from a package's manifest before (or besides) loading it:
// its name, total size and generation defaults. Best effort: the engine fetches and checks the
// manifest itself and reports its errors; a summary that cannot be had is null.

import { PackageCache } from '../engine/cache';
import type { ModelDefaults } from './state';

export interface ManifestSummary {
  name: string;
  bytes: number;
  defaults: ModelDefaults;
}

/** The summary of a manifest's text, or null when it is not a Harmon package manifest. */
export function summarizeManifest(text: string): ManifestSummary | null {
  try {
    const m = JSON.parse(text);
    if (m?.format !== 'harmon-webgpu-package' || typeof m.files !== 'object' || m.files === null) return null;
    const bytes = Object.values(m.files as Record<string, { bytes?: number }>).reduce((s, f) => s + (Number(f?.bytes) || 0), 0);
    const d = typeof m.defaults === 'object' && m.defaults !== null ? m.defaults : {};
    const samplingSteps = m.diffusion?.default_sampling_steps;
    const defaults: ModelDefaults = { ...d, ...(samplingSteps === undefined ? {} : { sampling_steps: samplingSteps }) };
    return { name: String(m.name ?? 'model'), bytes, defaults };
  } catch {
    return null;
  }
}

/**
 * The summary of the package at `baseUrl` (a folder URL ending in '/'): from the network, or, when
 * the network fails (offline), from the manifest the offline cache kept for a completely loaded
 * package — so an offline reload still offers the models it can run.
 */
export async function fetchManifestSummary(baseUrl: string, fetchFn: typeof fetch = globalThis.fetch.bind(globalThis)): Promise<ManifestSummary | null> {
  try {
    const res = await fetchFn(baseUrl + 'manifest.json', { cache: 'no-store' });
    return res.ok ? summarizeManifest(await res.text()) : null;
  } catch {
    try {
      const cached = await PackageCache.browser()?.getManifest(baseUrl);
      return cached ? summarizeManifest(cached) : null;
    } catch {
      return null;
    }
  }
}
