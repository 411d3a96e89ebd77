// The command lines of `npm run harmon`, `npm run eval` and `npm run bench`: node:util's parseArgs
// splits them, this file checks what it leaves to the caller (unknown flags, repeats, a flag whose
// value is missing) with one-line UsageErrors, and reads the engine's options (src/engine/options.ts)
// as flags: kebab-case names, the table's bounds and its rule in every message. Also the input files
// flags name.

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { kebab, type OptionSpec, optionRule, parseIntStrict, parseOption } from '../engine/options';
import { UsageError } from './errors';

/** Parsed flags: a value, `true` for a switch, every value of a `multiple` flag. */
export type Flags = Map<string, string | true | string[]>;

export interface FlagSpec {
  kind: 'value' | 'switch';
  /** may be given more than once (its values in order) */
  multiple?: boolean;
}

export type FlagSpecs = Record<string, FlagSpec>;

/**
 * Splits `argv` (after the command) into flags. parseArgs runs non-strict so that each mistake gets
 * this CLI's own message: `--x` not in `specs`, a short flag, a positional or `--`, a repeat, a
 * switch with a value, a value flag without one (a following `--flag` counts as missing: write
 * `--prompt=--x` for such a value). `--help` / `-h` anywhere: 'help'.
 */
export function splitFlags(argv: readonly string[], specs: FlagSpecs, command: string): Flags | 'help' {
  const options = Object.fromEntries(Object.entries(specs).map(([name, s]) => [name, { type: s.kind === 'switch' ? 'boolean' : 'string' } as const]));
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const flags: Flags = new Map();
  for (const t of tokens) {
    if (t.kind === 'option-terminator') throw new UsageError('unexpected argument "--"');
    if (t.kind === 'positional') throw new UsageError(`unexpected argument "${t.value}"`);
    if (t.rawName === '--help' || t.rawName === '-h') return 'help';
    if (!t.rawName.startsWith('--')) throw new UsageError(`unexpected argument "${t.rawName}"`);
    const spec = Object.hasOwn(specs, t.name) ? specs[t.name] : undefined;
    if (!spec) throw new UsageError(`unknown option --${t.name} for ${command} (see --help)`);
    if (flags.has(t.name) && !spec.multiple) throw new UsageError(`--${t.name} given more than once`);
    if (spec.kind === 'switch') {
      if (t.inlineValue) throw new UsageError(`--${t.name} takes no value`);
      flags.set(t.name, true);
      continue;
    }
    const v = t.value;
    if (v === undefined || (!t.inlineValue && v.startsWith('--') && v.length > 2)) throw new UsageError(`--${t.name} needs a value`);
    if (spec.multiple) flags.set(t.name, [...((flags.get(t.name) as string[] | undefined) ?? []), v]);
    else flags.set(t.name, v);
  }
  return flags;
}

/** A value flag's value (undefined when absent). */
export function str(flags: Flags, name: string): string | undefined {
  const v = flags.get(name);
  return v === undefined ? undefined : (v as string);
}

/** The CLI flag of a table option, or undefined when it has none; `sets`: a switch for that value. */
export function optionFlag(o: OptionSpec): { name: string; sets?: string } | undefined {
  if (o.flag === false) return undefined;
  if (typeof o.flag === 'object') return o.flag;
  return { name: o.flag ?? kebab(o.key) };
}

/** The flags of table options (booleans and `sets` flags are switches). */
export function optionFlagSpecs(options: readonly OptionSpec[]): FlagSpecs {
  const out: FlagSpecs = {};
  for (const o of options) {
    const f = optionFlag(o);
    if (f) out[f.name] = { kind: f.sets !== undefined || o.type === 'bool' ? 'switch' : 'value' };
  }
  return out;
}

/** Reads the table options given as flags into `into` (by key); a bad value says the table's rule:
 * `--sampling-steps must be an integer from 2 to 1000 (got "1")`. */
export function readOptionFlags(flags: Flags, options: readonly OptionSpec[], target: object): void {
  const into = target as Record<string, unknown>;
  for (const o of options) {
    const f = optionFlag(o);
    const raw = f && flags.get(f.name);
    if (raw === undefined) continue;
    if (raw === true) {
      into[o.key] = f!.sets ?? true;
      continue;
    }
    const v = parseOption(o, raw as string);
    if (v === undefined) throw new UsageError(`--${f!.name} must be ${optionRule(o)} (got "${raw}")`);
    into[o.key] = v;
  }
}

/** Help lines for table options: the flag, what it means, its rule and its default. */
export function optionHelp(options: readonly OptionSpec[]): string[] {
  const rows = options.flatMap((o) => {
    const f = optionFlag(o);
    if (!f) return [];
    if (f.sets !== undefined || o.type === 'bool') return [[`--${f.name}`, o.help]];
    const d = o.default;
    const dflt = d.from === 'package' || d.from === 'understanding' ? "the package's" : d.from === 'engine' ? String(d.value) : d.text;
    if (o.type === 'enum') return [[`--${f.name} ${o.values.join('|')}`, `${o.help} (default: ${dflt})`]];
    return [[`--${f.name} ${o.type === 'int' ? 'N' : 'X'}`, `${o.help}: ${optionRule(o)} (default: ${dflt})`]];
  });
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`);
}

/** An integer flag of a command's own (not an engine option), checked by `ok`; `rule` says it. */
export function intFlag(flags: Flags, name: string, ok: (v: number) => boolean, rule: string): number | undefined {
  const raw = str(flags, name);
  if (raw === undefined) return undefined;
  const v = parseIntStrict(raw);
  if (v === undefined || !ok(v)) throw new UsageError(`--${name} must be ${rule} (got "${raw}")`);
  return v;
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
