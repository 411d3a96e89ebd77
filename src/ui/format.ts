// Pure helpers of the demo page, the widget and the CLI: numbers for people, model URLs, error
// messages. No DOM here (unit-tested in Node: format.test.ts).

/** Bytes in decimal units: 999 B, 1.2 kB, 5.6 MB, 1.02 GB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A transfer rate: "2.4 MB/s". */
export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** A remaining time, rounded the way people say it: "about 5 s", "about 3 min", "about 1 h 5 min". */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return 'unknown time left';
  if (seconds < 1) return 'less than a second left';
  if (seconds < 60) return `about ${Math.ceil(seconds)} s left`;
  const min = Math.round(seconds / 60);
  if (min < 60) return `about ${min} min left`;
  return `about ${Math.floor(min / 60)} h ${min % 60} min left`;
}

/** A duration measured in milliseconds: "850 ms", "15.2 s", "2 min 05 s". */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}

/**
 * The package folder URL a user meant. Accepts a folder URL or its manifest.json; Hugging Face
 * "blob"/"tree" page links become "resolve" (raw file) links. Throws with a readable message when the
 * text is not an http(s) URL. `base` resolves relative URLs (the page's own location).
 */
export function normalizeModelUrl(text: string, base?: string): string {
  const t = text.trim();
  if (!t) throw new Error('Enter the URL of a model package (the folder that holds manifest.json).');
  let u: URL;
  try {
    u = new URL(t, base);
  } catch {
    throw new Error(`“${t}” is not a URL. Enter the address of a model package folder, e.g. https://huggingface.co/USER/REPO/resolve/main/PACKAGE/`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new Error(`“${t}” is not an http(s) URL.`);
  }
  if (u.hostname === 'huggingface.co' || u.hostname.endsWith('.huggingface.co')) {
    // /USER/REPO/blob/REV/path and /USER/REPO/tree/REV/path are web pages; /resolve/ serves the files
    u.pathname = u.pathname.replace(/^(\/[^/]+\/[^/]+)\/(?:blob|tree)\//, '$1/resolve/');
  }
  u.hash = '';
  if (u.pathname.endsWith('/manifest.json')) u.pathname = u.pathname.slice(0, -'manifest.json'.length);
  else if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u.href;
}

/** The text of anything thrown (Errors across Comlink arrive as plain objects with a message). */
export function errorText(e: unknown): string {
  if (typeof e === 'string') return e;
  if (typeof e === 'object' && e !== null) {
    const m = (e as { message?: unknown }).message;
    if (typeof m === 'string' && m) return m;
    const n = (e as { name?: unknown }).name;
    if (typeof n === 'string' && n) return n;
  }
  return String(e);
}

/** Whether an error is the cancellation the user asked for (Stop / Cancel). */
export function isAbort(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const name = (e as { name?: unknown }).name;
  return name === 'AbortError' || /^(cancelled|aborted)$/i.test(errorText(e));
}

/** A model-loading error, said for a person: the engine's message plus what to do about it. */
export function explainLoadError(e: unknown, where?: string): string {
  const msg = errorText(e);
  const at = where ? ` at ${where}` : '';
  if (/^404\b/.test(msg)) {
    return `No model package found${at} (HTTP 404 for ${msg.replace(/^404( Not Found)?: /, '')}). ` +
      'Check the address: it must be the folder that holds manifest.json.';
  }
  if (/^(401|403)\b/.test(msg)) return `The server refused access${at} (${msg}). The model may be private or gated.`;
  if (/^\d{3}\b/.test(msg)) return `The server answered with an error${at}: ${msg}.`;
  if (/could not fetch/i.test(msg)) {
    return `${msg}. The server may be unreachable, or it does not allow this page to read it (CORS).`;
  }
  if (/is not JSON|is not a Harmon model package/.test(msg)) {
    return `No model package found${at}: ${msg}. The URL must be the folder that holds manifest.json.`;
  }
  if (/SHA-256 mismatch/.test(msg)) {
    return `Verification failed: ${msg}. Nothing from this package was used; try downloading it again.`;
  }
  if (/bytes, the manifest lists|received \d+ bytes|more than the/.test(msg)) {
    return `Verification failed: ${msg}. The file does not match its manifest entry.`;
  }
  return msg;
}
