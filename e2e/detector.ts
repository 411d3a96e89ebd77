// ShapesEval's detector on one finished image, for the e2e tests that check what a picture shows:
// `scripts/py -m shapes.score IMG --meta JSON` (models/shapes/score.py) judges it by GenEval's rules.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root } from './build';

export interface Verdict {
  correct: boolean;
  reason: string;
  detections: { class: string; color: string }[];
}

/** The detector's verdict on a PNG for GenEval metadata ({tag, include, prompt}). */
export function judge(png: Buffer, meta: object): Verdict {
  const dir = mkdtempSync(path.join(tmpdir(), 'harmon-judge-'));
  try {
    const file = path.join(dir, 'image.png');
    writeFileSync(file, png);
    const out = execFileSync(path.join(root, 'scripts/py'), ['-m', 'shapes.score', file, '--meta', JSON.stringify(meta)],
      { cwd: root, encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop()!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
