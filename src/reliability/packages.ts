// The package cases' packages (corpus.ts): the golden package with one case's change applied. Pure
// (Web Crypto only), so that the page (run-browser.ts) and the e2e tests in Node build the same bytes.

import type { PackageCase } from './corpus';

export interface GoldenPackage {
  manifest: any;
  files: Map<string, Uint8Array>;
}

export interface BuiltPackage {
  /** manifest.json's text and the files it needs, by name */
  manifest: string;
  files: Map<string, Uint8Array>;
}

/** The golden package with the change of a case that is not a `url` one. */
export async function changedPackage(c: PackageCase, g: GoldenPackage): Promise<BuiltPackage> {
  const ch = c.change;
  if (ch.type === 'url') throw new Error(`${c.id} names a URL: there is no package to build`);
  const m = structuredClone(g.manifest);
  if (ch.type === 'manifest-text') return { manifest: ch.text, files: new Map() };
  if (ch.type === 'manifest') {
    ch.edit(m);
    return { manifest: JSON.stringify(m), files: new Map(g.files) };
  }
  // a changed file is listed first, so that a load reaches it before any other
  const bytes = ch.bytes(g.files.get(ch.file)!);
  const entry = m.files[ch.file];
  m.files = { [ch.file]: entry, ...Object.fromEntries(Object.entries(m.files).filter(([k]) => k !== ch.file)) };
  if (!ch.keepHash) entry.sha256 = await sha256(bytes);
  return { manifest: JSON.stringify(m), files: new Map([...g.files, [ch.file, bytes]]) };
}

export async function sha256(b: Uint8Array): Promise<string> {
  const d = await crypto.subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(d), (x) => x.toString(16).padStart(2, '0')).join('');
}
