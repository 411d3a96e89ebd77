// The README's reliability section, rendered from the suite's results files (results/*.json):
// `npm run reliability:table` writes it between the markers; table.test.ts fails when the README's
// section differs from what the results give, or when the results do not cover the corpus.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CaseResult, CORPUS, type Group, type Surface, SURFACES } from './corpus';

export const BEGIN = '<!-- reliability:begin (npm run reliability:table writes this section from src/reliability/results/) -->';
export const END = '<!-- reliability:end -->';

interface Fault { id: string; surface: string; backend: string; does: string }
interface SoakPhase { id: string; backend: string; what: string; count: number; within: string }

export interface Results {
  corpus: Partial<Record<Surface, CaseResult[]>>;
  cli: CaseResult[];
  faults: Fault[];
  soak: { soak: SoakPhase[]; faults: Fault[] };
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const README = path.join(here, '../../README.md');

export function readResults(dir = path.join(here, 'results')): Results {
  const read = (name: string) => JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  return { corpus: read('corpus'), cli: read('cli').cli, faults: read('faults'), soak: read('soak') };
}

/** Per surface, every result (the CLI's come from their own file). */
export function bySurface(r: Results): Record<Surface, CaseResult[]> {
  const out = {} as Record<Surface, CaseResult[]>;
  for (const s of SURFACES) out[s] = s === 'cli' ? r.cli : (r.corpus[s] ?? []);
  return out;
}

/** Corpus cases a surface's results lack or have in excess: the results must be re-run when the corpus changes. */
export function coverageProblems(r: Results): string[] {
  const problems: string[] = [];
  const all = bySurface(r);
  for (const s of SURFACES) {
    const want = CORPUS.filter((c) => c.surfaces.includes(s)).map((c) => c.id);
    const got = all[s].map((x) => x.id);
    if (want.join() !== got.join()) problems.push(`${s}: the results hold [${got.join(', ')}], the corpus [${want.join(', ')}]`);
  }
  return problems;
}

const GROUPS: [Group, string][] = [['prompt', 'prompts'], ['question', 'questions and understanding images'],
  ['setting', 'settings'], ['image', 'image files'], ['package', 'model packages']];
const HEAD: Record<Surface, string> = { engine: 'engine (in-process)', worker: 'engine in its worker', decoder: 'demo + widget image decoder',
  'cli-decoder': 'CLI page image decoder', cli: 'CLI (`npm run harmon`)' };

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderTable(r: Results): string {
  const all = bySurface(r);
  const lines: string[] = [];
  const count = (s: Surface, g?: Group) => {
    const ids = new Set(CORPUS.filter((c) => !g || c.group === g).map((c) => c.id));
    const rs = all[s].filter((x) => ids.has(x.id));
    return rs.length ? `${rs.filter((x) => x.pass && x.usableAfter !== false).length}/${rs.length}` : '—';
  };
  lines.push(`| inputs | cases | ${SURFACES.map((s) => HEAD[s]).join(' | ')} |`);
  lines.push(`| --- | --- | ${SURFACES.map(() => '---').join(' | ')} |`);
  for (const [g, name] of GROUPS) {
    lines.push(`| ${name} | ${CORPUS.filter((c) => c.group === g).length} | ${SURFACES.map((s) => count(s, g)).join(' | ')} |`);
  }
  lines.push(`| **all** | **${CORPUS.length}** | ${SURFACES.map((s) => `**${count(s)}**`).join(' | ')} |`);
  const usable = (['engine', 'worker'] as const).map((s) => {
    const refused = all[s].filter((x) => x.usableAfter !== undefined);
    return `${HEAD[s]} ${refused.filter((x) => x.usableAfter).length}/${refused.length}`;
  });
  lines.push('', `Passed = the expected message (or, for a valid input, success). After every refused case the next valid ` +
    `request succeeded: ${usable.join(', ')}. A package that failed verification left nothing in the offline cache ` +
    '(checked after each package case on the in-process engine, which loads it by URL; the worker loads the same packages ' +
    'as a picked folder).');
  lines.push('', '<details><summary>Every case and the message it gets (engine; the CLI\'s where it runs)</summary>', '');
  lines.push('| case | inputs | message |', '| --- | --- | --- |');
  const engineOrDecoder = (id: string) => [...all.engine, ...all.decoder].find((x) => x.id === id);
  for (const c of CORPUS) {
    const e = engineOrDecoder(c.id);
    const cli = all.cli.find((x) => x.id === c.id);
    const msg = [e && e.got, cli && cli.got !== e?.got ? `CLI: ${cli.got}` : undefined].filter(Boolean).join(' · ');
    lines.push(`| ${cell(c.name)} | ${c.group} | ${cell(msg)} |`);
  }
  lines.push('', '</details>', '', '| fault | surface | backend | what happens |', '| --- | --- | --- | --- |');
  for (const f of [...r.faults, ...r.soak.faults]) lines.push(`| ${f.id} | ${f.surface} | ${f.backend} | ${cell(f.does)} |`);
  lines.push('', '| soak | backend | repeated | held at the end vs after the first |', '| --- | --- | --- | --- |');
  for (const p of r.soak.soak) {
    const what = p.backend === 'webgpu' ? 'GPU bytes (all buffers on the device, ours destroyed explicitly)' : 'JS heap';
    lines.push(`| ${cell(p.what)} | ${p.backend} | ${p.count} | ${what}: within ${p.within}; no pending requests, conversations or listeners left |`);
  }
  return lines.join('\n');
}

/** The README with its section replaced by `table`. */
export function withTable(readme: string, table: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no "${BEGIN}" … "${END}" section`);
  return `${readme.slice(0, a + BEGIN.length)}\n${table}\n${readme.slice(b)}`;
}

/** The README's section as it stands. */
export function currentTable(readme: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no "${BEGIN}" … "${END}" section`);
  return readme.slice(a + BEGIN.length + 1, b - 1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = readResults();
  const problems = coverageProblems(r);
  if (problems.length) {
    console.error(`the results do not cover the corpus (run the suite again):\n${problems.join('\n')}`);
    process.exit(1);
  }
  writeFileSync(README, withTable(readFileSync(README, 'utf8'), renderTable(r)));
  console.log('README.md: reliability section written');
}
