// The demo page's pure helpers: numbers for people, model URLs, load errors, download progress.
import { describe, expect, it } from 'vitest';
import { explainLoadError, formatBytes, formatEta, formatMs, isAbort, normalizeModelUrl } from './format';
import { DownloadMeter } from './download-meter';

describe('formatting', () => {
  it('formats bytes, durations and remaining time', () => {
    expect([0, 999, 1000, 5_730_000, 1_020_000_000, 12_345].map(formatBytes)).toEqual(['0 B', '999 B', '1.00 kB', '5.73 MB', '1.02 GB', '12.3 kB']);
    expect([850, 15_240, 125_000].map(formatMs)).toEqual(['850 ms', '15.2 s', '2 min 05 s']);
    expect([0.2, 4.2, 180, 3900, Infinity].map(formatEta)).toEqual([
      'less than a second left', 'about 5 s left', 'about 3 min left', 'about 1 h 5 min left', 'unknown time left']);
  });
});

describe('normalizeModelUrl', () => {
  it('gives the package folder URL', () => {
    expect(normalizeModelUrl(' https://host/pkg ')).toBe('https://host/pkg/');
    expect(normalizeModelUrl('https://host/pkg/manifest.json#x')).toBe('https://host/pkg/');
    expect(normalizeModelUrl('/m/tiny', 'http://127.0.0.1:5/app/')).toBe('http://127.0.0.1:5/m/tiny/');
  });

  it('turns Hugging Face page links into file links', () => {
    expect(normalizeModelUrl('https://huggingface.co/u/r/tree/main/pkg-0.5b')).toBe('https://huggingface.co/u/r/resolve/main/pkg-0.5b/');
    expect(normalizeModelUrl('https://huggingface.co/u/r/blob/main/pkg/manifest.json')).toBe('https://huggingface.co/u/r/resolve/main/pkg/');
    expect(normalizeModelUrl('https://huggingface.co/u/r/resolve/main/pkg/')).toBe('https://huggingface.co/u/r/resolve/main/pkg/');
  });

  it('says what is wrong with text that is not a package URL', () => {
    expect(() => normalizeModelUrl('  ')).toThrow(/Enter the URL/);
    expect(() => normalizeModelUrl('not a url')).toThrow(/is not a URL/);
    expect(() => normalizeModelUrl('ftp://host/pkg/')).toThrow(/not an http\(s\) URL/);
  });
});

describe('errors', () => {
  it('explains load errors', () => {
    expect(explainLoadError(new Error('404 Not Found: http://h/p/manifest.json'))).toMatch(/^No model package found \(HTTP 404 for http:\/\/h\/p\/manifest.json\)/);
    expect(explainLoadError({ message: 'llm.onnx: SHA-256 mismatch (the file is corrupt or from another package version)' }))
      .toMatch(/^Verification failed: llm\.onnx: SHA-256 mismatch/);
    expect(explainLoadError(new Error('could not fetch http://h/: Failed to fetch'))).toMatch(/CORS/);
    expect(explainLoadError(new Error('something else'))).toBe('something else');
  });

  it('recognises cancellation, also after crossing the worker boundary', () => {
    expect(isAbort(new DOMException('cancelled', 'AbortError'))).toBe(true);
    expect(isAbort({ name: 'Error', message: 'cancelled' })).toBe(true);
    expect(isAbort(new Error('404'))).toBe(false);
  });
});

describe('DownloadMeter', () => {
  it('adds files up and measures network speed and time left', () => {
    const m = new DownloadMeter(3000);
    m.update({ phase: 'manifest' }, 0);
    // a file from the offline cache: complete at once, no speed
    m.update({ phase: 'download', file: 'a', loaded: 1000, total: 1000, bytesPerSecond: 0 }, 0);
    expect(m.speed(0)).toBe(0);
    m.update({ phase: 'download', file: 'b', loaded: 0, total: 2000, bytesPerSecond: 0 }, 0);
    const v = m.update({ phase: 'download', file: 'b', loaded: 1000, total: 2000, bytesPerSecond: 1000 }, 1000);
    expect(m.bytesLoaded).toBe(2000);
    expect(m.speed(1000)).toBe(1000);
    expect(v.fraction).toBeCloseTo(2 / 3);
    expect(v.text).toBe('Downloading: 2.00 kB of 3.00 kB · 1.00 kB/s · about 1 s left · b');
    expect(m.update({ phase: 'verify', file: 'b' }, 1100).text).toBe('Checking b (SHA-256)…');
    expect(m.update({ phase: 'ready' }, 1200)).toEqual({ fraction: 1, text: 'Ready.' });
  });

  it('without a known total, sums the files seen', () => {
    const m = new DownloadMeter();
    const v = m.update({ phase: 'download', file: 'x', loaded: 500, total: 1000, bytesPerSecond: 500 }, 10);
    expect(v.text).toBe('Downloading: 500 B of 1.00 kB · x');
  });
});
