// The README's reliability section, rendered from the suite's results files (results/*.json):
// `npm run reliability:table` writes it between the markers; table.test.ts fails when the README's
// section differs from what the results give, or when the results do not cover the corpus.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CaseResult, CORPUS, type Group, type Surface, SURFACES } from './corpus';
import { UI_SURFACES, type UiResult, type UiSurface } from './ui-cases';

export const BEGIN = '<!-- reliability:begin (npm run reliability:table writes this section from src/reliability/results/) -->';
export const END = '<!-- reliability:end -->';

interface Fault { id: string; surface: string; backend: string; does: string }
interface SoakPhase {
  id: string; backend: string; what: string; count: number; within: string;
  /** the full-size run (npm run reliability:soak) records what it measured, first → last, and whether it held */
  flat?: boolean; measured?: Record<string, [number, number]>;
}
interface Soak { soak: SoakPhase[]; faults: Fault[] }

export interface Results {
  corpus: Partial<Record<Surface, CaseResult[]>>;
  cli: CaseResult[];
  /** the demo page's and the widget's, through their UIs (e2e/corpus-demo.e2e.ts, e2e/corpus-widget.e2e.ts) */
  ui: Record<UiSurface, UiResult[]>;
  faults: Fault[];
  /** two real tabs (e2e/two-tabs.e2e.ts) */
  tabs: Fault[];
  soak: Soak;
  /** the WebGPU soak at the issue's sizes (npm run reliability:soak) */
  soakFull: Soak;
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const README = path.join(here, '../../README.md');

export function readResults(dir = path.join(here, 'results')): Results {
  const read = (name: string) => JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  return { corpus: read('corpus'), cli: read('cli').cli, ui: { demo: read('demo').demo, widget: read('widget').widget },
    faults: read('faults'), tabs: read('faults-tabs'), soak: read('soak'), soakFull: { faults: [], ...read('soak-webgpu-full') } };
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
  // the UI surfaces account for every case: run, or not applicable with a reason
  for (const s of UI_SURFACES) {
    const want = CORPUS.map((c) => c.id);
    const got = r.ui[s].map((x) => x.id);
    if (want.join() !== got.join()) problems.push(`${s}: the results hold [${got.join(', ')}], the corpus [${want.join(', ')}]`);
  }
  return problems;
}

const GROUPS: [Group, string][] = [['prompt', 'prompts'], ['question', 'questions and understanding images'],
  ['setting', 'settings'], ['image', 'image files'], ['package', 'model packages']];
const HEAD: Record<Surface, string> = { engine: 'engine (in-process)', worker: 'engine in its worker', decoder: 'demo + widget image decoder',
  'cli-decoder': 'CLI page image decoder', cli: 'CLI (`npm run harmon`)' };
const UI_HEAD: Record<UiSurface, string> = { demo: 'demo page (its UI)', widget: 'widget (attributes)' };

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderTable(r: Results): string {
  const all = bySurface(r);
  const lines: string[] = [];
  const inGroup = (g?: Group) => new Set(CORPUS.filter((c) => !g || c.group === g).map((c) => c.id));
  const count = (s: Surface, g?: Group) => {
    const ids = inGroup(g);
    const rs = all[s].filter((x) => ids.has(x.id));
    return rs.length ? `${rs.filter((x) => x.pass && x.usableAfter !== false).length}/${rs.length}` : '—';
  };
  // run cases passed / run, and how many the surface cannot express
  const uiCount = (s: UiSurface, g?: Group) => {
    const ids = inGroup(g);
    const rs = r.ui[s].filter((x) => ids.has(x.id));
    const ran = rs.filter((x) => !x.na);
    const na = rs.length - ran.length;
    return `${ran.length ? `${ran.filter((x) => x.pass && x.usableAfter !== false).length}/${ran.length}` : '—'}${na ? ` (${na} n/a)` : ''}`;
  };
  const bold = (t: string, on: boolean) => (on ? `**${t}**` : t);
  const row = (name: string, g?: Group) => `| ${bold(name, !g)} | ${bold(String(inGroup(g).size), !g)} | ${
    [...SURFACES.map((s) => bold(count(s, g), !g)), ...UI_SURFACES.map((s) => bold(uiCount(s, g), !g))].join(' | ')} |`;
  lines.push(`| inputs | cases | ${[...SURFACES.map((s) => HEAD[s]), ...UI_SURFACES.map((s) => UI_HEAD[s])].join(' | ')} |`);
  lines.push(`| --- | --- | ${[...SURFACES, ...UI_SURFACES].map(() => '---').join(' | ')} |`);
  for (const [g, name] of GROUPS) lines.push(row(name, g));
  lines.push(row('all'));
  const usable = (['engine', 'worker'] as const).map((s) => {
    const refused = all[s].filter((x) => x.usableAfter !== undefined);
    return `${HEAD[s]} ${refused.filter((x) => x.usableAfter).length}/${refused.length}`;
  });
  const uiUsable = UI_SURFACES.map((s) => {
    const refused = r.ui[s].filter((x) => x.usableAfter !== undefined);
    return `${UI_HEAD[s]} ${refused.filter((x) => x.usableAfter).length}/${refused.length}`;
  });
  lines.push('', `Passed = the expected message (or, for a valid input, success). After every refused case the next valid ` +
    `request succeeded: ${[...usable, ...uiUsable].join(', ')}. A package that failed verification left nothing in the offline cache ` +
    '(checked after each package case on the in-process engine, which loads it by URL, and on the demo page and the widget; ' +
    'the worker loads the same packages as a picked folder). The demo page and the widget run each case through their own UI ' +
    '(typed into the page\'s boxes and fields, chosen in its file input, its Model URL; the widget\'s attributes and `image` ' +
    'property); n/a = the surface cannot express the case (reasons below).');
  lines.push('', '<details><summary>The demo page and the widget: what each case shows there, or why it does not apply</summary>', '');
  lines.push(`| case | inputs | ${UI_SURFACES.map((s) => UI_HEAD[s]).join(' | ')} |`, `| --- | --- | ${UI_SURFACES.map(() => '---').join(' | ')} |`);
  for (const c of CORPUS) {
    const say = (s: UiSurface) => {
      const x = r.ui[s].find((y) => y.id === c.id);
      if (!x) return '';
      if (x.na) return `n/a: ${x.na}${x.got !== 'not applicable' ? ` (${x.got})` : ''}`;
      return `${x.pass && x.usableAfter !== false ? '' : 'FAILED: '}${x.got}`;
    };
    lines.push(`| ${cell(c.name)} | ${c.group} | ${UI_SURFACES.map((s) => cell(say(s))).join(' | ')} |`);
  }
  lines.push('', '</details>');
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
  for (const f of [...r.faults, ...r.tabs, ...r.soak.faults]) lines.push(`| ${f.id} | ${f.surface} | ${f.backend} | ${cell(f.does)} |`);
  lines.push('', '| soak | backend | run by | repeated | held at the end vs after the first |', '| --- | --- | --- | --- | --- |');
  for (const p of r.soak.soak) {
    const what = p.backend === 'webgpu' ? 'GPU bytes (all buffers on the device, ours destroyed explicitly)' : 'JS heap';
    lines.push(`| ${cell(p.what)} | ${p.backend} | \`npm test\` | ${p.count} | ${what}: within ${p.within}; no pending requests, conversations or listeners left |`);
  }
  for (const p of r.soakFull.soak) {
    lines.push(`| ${cell(p.what)} | ${p.backend} | \`npm run reliability:soak\` | ${p.count} | ${cell(fullRow(p))} |`);
  }
  return lines.join('\n');
}

const MEASURED: Record<string, string> = {
  heap: 'JS heap', gpuBytes: 'GPU bytes held', gpuBytesUndestroyed: 'GPU bytes not destroyed', gpuBytesLoaded: 'GPU bytes of a loaded engine',
};
const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;

/** A full-size soak row: each measurement first → last, and whether all stayed within the bound. */
function fullRow(p: SoakPhase): string {
  const parts = Object.entries(p.measured ?? {}).map(([k, [a, b]]) => {
    const pct = a ? `${b >= a ? '+' : ''}${((b / a - 1) * 100).toFixed(1)}%` : (b ? 'from 0' : '0');
    return `${MEASURED[k] ?? k} ${mb(a)} → ${mb(b)} (${pct})`;
  });
  return `${parts.join('; ')}: ${p.flat ? `within ${p.within}; no pending requests, conversations or listeners left` : `NOT within ${p.within}`}`;
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
