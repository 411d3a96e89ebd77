// JSON-lines input files of the CLI: GenEval's prompts (generate --prompts) and batches of
// questions (ask --questions). One JSON object per line; blank lines skipped; each entry keeps
// its line unchanged so the output can carry it through.

import { UsageError } from './errors';

export interface JsonlEntry {
  obj: Record<string, unknown>;
  /** the line as written (without its line break) */
  line: string;
  /** 1-based line number */
  lineNumber: number;
}

/** Parses `text` as JSON lines whose objects all have the string fields `fields`. */
export function parseJsonlObjects(text: string, label: string, fields: readonly string[], what: string): JsonlEntry[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const entries: JsonlEntry[] = [];
  const lines = text.split('\n');
  const expected = `expected a JSON object with ${fields.map((f) => `a "${f}" string`).join(' and ')}`;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === '') continue;
    const where = `${label} line ${i + 1}: `;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new UsageError(`${where}not valid JSON (${(e as Error).message})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new UsageError(`${where}${expected}`);
    const rec = obj as Record<string, unknown>;
    if (fields.some((f) => typeof rec[f] !== 'string')) throw new UsageError(`${where}${expected}`);
    entries.push({ obj: rec, line, lineNumber: i + 1 });
  }
  if (entries.length === 0) throw new UsageError(`${label} has no ${what}`);
  return entries;
}
