// Typed readers for `npm run harmon` flags and the input files they name (args.ts, source.ts). Each
// check throws a UsageError with one line naming the flag.

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors';

/** Parsed flags: a value, or `true` for a switch. */
export type Flags = Map<string, string | true>;

const INT_RE = /^[+-]?\d+$/;
const NUM_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal integer (no exponent, no hex), or undefined. */
export function parseIntStrict(raw: string): number | undefined {
  const s = raw.trim();
  if (!INT_RE.test(s)) return undefined;
  const v = Number(s);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** A finite decimal number, or undefined. */
export function parseNum(raw: string): number | undefined {
  const s = raw.trim();
  if (!NUM_RE.test(s)) return undefined;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

export function intFlag(flags: Flags, name: string, ok: (v: number) => boolean, rule: string): number | undefined {
  const raw = flags.get(name);
  if (raw === undefined) return undefined;
  const v = parseIntStrict(raw as string);
  if (v === undefined || !ok(v)) throw new UsageError(`--${name} must be ${rule} (got "${raw}")`);
  return v;
}

export function numFlag(flags: Flags, name: string, ok: (v: number) => boolean, rule: string): number | undefined {
  const raw = flags.get(name);
  if (raw === undefined) return undefined;
  const v = parseNum(raw as string);
  if (v === undefined || !ok(v)) throw new UsageError(`--${name} must be ${rule} (got "${raw}")`);
  return v;
}

export function str(flags: Flags, name: string): string | undefined {
  const v = flags.get(name);
  return v === undefined ? undefined : (v as string);
}

export function statOrUndefined(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** Reads an input file named by a flag, with a clear message when it is missing or unreadable. */
export function readInput(flag: string, raw: string, cwd: string): Buffer {
  const p = path.resolve(cwd, raw);
  const st = statOrUndefined(p);
  if (!st) throw new UsageError(`--${flag} ${raw}: file not found`);
  if (!st.isFile()) throw new UsageError(`--${flag} ${raw}: not a file`);
  try {
    return readFileSync(p);
  } catch (e) {
    throw new UsageError(`--${flag} ${raw}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** The bytes of an image file named by a flag (decoded later, in the page). */
export function imageInput(name: string, flag: string, cwd: string): Uint8Array {
  if (name.trim() === '') throw new UsageError(`--${flag} is empty`);
  const bytes = readInput(flag, name, cwd);
  if (bytes.byteLength === 0) throw new UsageError(`--${flag} ${name}: the file is empty`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
