import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fetchManifestSummary, summarizeManifest } from './manifest-summary';

const tinyText = readFileSync(new URL('../../models/golden/tiny/package/manifest.json', import.meta.url), 'utf8');
const tiny = JSON.parse(tinyText);
const tinyBytes = Object.values(tiny.files as Record<string, { bytes: number }>).reduce((s, f) => s + f.bytes, 0);

describe('manifest summary', () => {
  it('gives the name and total size, nothing of the generation settings (the engine owns those)', () => {
    expect(summarizeManifest(tinyText)).toEqual({ name: 'tiny', bytes: tinyBytes });
    expect(summarizeManifest('{"format":"something-else","files":{}}')).toBeNull();
    expect(summarizeManifest('not json')).toBeNull();
  });

  it('fetches the manifest of a package folder, and is null when it cannot', async () => {
    const seen: string[] = [];
    const ok = (async (url: string) => { seen.push(url); return new Response(tinyText); }) as typeof fetch;
    expect((await fetchManifestSummary('https://host/pkg/', ok))?.name).toBe('tiny');
    expect(seen).toEqual(['https://host/pkg/manifest.json']);
    const missing = (async () => new Response('no', { status: 404 })) as typeof fetch;
    expect(await fetchManifestSummary('https://host/pkg/', missing)).toBeNull();
    // offline with no Cache Storage (Node): nothing to fall back on
    const offline = (async () => { throw new TypeError('Failed to fetch'); }) as typeof fetch;
    expect(await fetchManifestSummary('https://host/pkg/', offline)).toBeNull();
  });
});
