// The suite's results files (src/reliability/results/*.json, committed): what the README's table is
// rendered from (table.ts). A run whose results differ from the committed file writes the new ones
// and fails, naming what to do, so that the table can neither drift from the suite nor change
// without a commit that shows it.

/** The JSON text of a results object: stable key order as built, two-space indent, final newline. */
export function resultsText(results: unknown): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}

/** The error for results that changed (undefined when they did not). */
export function changedResults(name: string, committed: string | undefined, fresh: string): string | undefined {
  if (committed === fresh) return undefined;
  return `the reliability results changed: src/reliability/results/${name}.json now holds this run's; ` +
    'review its diff, commit it, and run `npm run reliability:table` to update the README';
}
