// ShapesEval's detector on one finished image, for the e2e tests that check what a picture shows:
// `scripts/py -m shapes.score IMG --meta JSON` (models/shapes/score.py) judges it by GenEval's rules.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCommand } from '../src/cli/run-testing';

export interface Verdict {
  correct: boolean;
  reason: string;
  detections: { class: string; color: string }[];
}

/** The detector's verdict on a PNG for GenEval metadata ({tag, include, prompt}). */
export async function judge(png: Buffer, meta: object): Promise<Verdict> {
  const dir = mkdtempSync(path.join(tmpdir(), 'harmon-judge-'));
  try {
    const file = path.join(dir, 'image.png');
    writeFileSync(file, png);
    const run = await runCommand('scripts/py', ['-m', 'shapes.score', file, '--meta', JSON.stringify(meta)]);
    if (run.code !== 0) throw new Error(`shapes.score exited with ${run.code}:\n${run.stderr.slice(-2000)}`);
    return JSON.parse(run.stdout.trim().split('\n').pop()!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
