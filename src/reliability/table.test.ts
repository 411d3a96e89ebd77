// The README's reliability section is what the suite's committed results give (table.ts), and the
// results cover every corpus case on every surface: neither can change without the other.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { coverageProblems, currentTable, README, readResults, renderTable, withTable } from './table';

describe('the reliability table', () => {
  const results = readResults();

  it('the results cover the corpus: each surface ran exactly its cases', () => {
    expect(coverageProblems(results)).toEqual([]);
  });

  it('README.md shows what the results give (npm run reliability:table)', () => {
    expect(currentTable(readFileSync(README, 'utf8'))).toBe(renderTable(results));
  });

  it('a changed result changes the table; a README without the section is an error', () => {
    const broken = structuredClone(results);
    broken.corpus.engine![0].pass = false;
    expect(renderTable(broken)).not.toBe(renderTable(results));
    expect(() => withTable('# no section\n', 'x')).toThrow(/no .* section/);
    expect(coverageProblems({ ...results, cli: results.cli.slice(1) })[0]).toMatch(/^cli: /);
    // the UI surfaces too: a failed case shows, a missing one is a coverage problem
    const ui = structuredClone(results);
    const ran = ui.ui.demo.find((x) => !x.na)!;
    ran.pass = false;
    expect(renderTable(ui)).not.toBe(renderTable(results));
    expect(renderTable(ui)).toContain(`FAILED: ${ran.got}`);
    expect(coverageProblems({ ...results, ui: { ...results.ui, widget: results.ui.widget.slice(1) } })[0]).toMatch(/^widget: /);
  });
});
