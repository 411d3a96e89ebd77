// What the demo page and the widget read from a package's manifest before loading it: its name and
// total size (the model list's label, the download's total for progress and ETA). Nothing else: the
// generation settings are the engine's business (it applies the package's defaults, ModelInfo.defaults).
// Best effort: the engine fetches and checks the manifest itself and reports its errors; a summary
// that cannot be had is null.

import { PackageCache } from '../engine/cache';

export interface ManifestSummary {
  name: string;
  bytes: number;
}

/** The summary of a manifest's text, or null when it is not a Harmon package manifest. */
export function summarizeManifest(text: string): ManifestSummary | null {
  try {
    const m = JSON.parse(text);
    if (m?.format !== 'harmon-webgpu-package' || typeof m.files !== 'object' || m.files === null) return null;
    const bytes = Object.values(m.files as Record<string, { bytes?: number }>).reduce((s, f) => s + (Number(f?.bytes) || 0), 0);
    return { name: String(m.name ?? 'model'), bytes };
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
