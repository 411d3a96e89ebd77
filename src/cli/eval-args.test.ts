// `npm run eval`'s arguments (no browser, nothing run).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEvalArgs } from './eval';
import { usageMessage } from './usage-testing';

const root = '/repo';
const parse = (...argv: string[]) => parseEvalArgs(argv, root);

const usage = (...argv: string[]) => usageMessage(() => parse(...argv));

describe('eval arguments', () => {
  it('defaults per benchmark', () => {
    expect(parse('shapes')).toMatchObject({
      bench: 'shapes', model: path.join(root, 'models/default/package'), out: path.join(root, 'models/eval/shapes-engine'), quick: false,
      reference: false, n: 1, seed: 0, vqa: undefined, backend: 'auto', steps: undefined, samplingSteps: undefined, cfg: undefined, fast: false,
    });
    expect(parse('shapes', '--fast')).toMatchObject({ fast: true, out: path.join(root, 'models/eval/shapes-engine-fast') });
    expect(parse('shapes', '--reference', '--quick')).toMatchObject({ out: path.join(root, 'models/eval/shapes-reference-quick') });
    expect(parse('inpaint')).toMatchObject({ bench: 'inpaint', out: path.join(root, 'models/eval/inpaint-engine'), cases: 48, phrasing: 'describe' });
  });

  it('every flag', () => {
    expect(parse('shapes', '--model', 'pkg', '--out', 'o', '--n', '2', '--seed', '5', '--steps', '16', '--sampling-steps', '20', '--cfg', '2.5',
      '--vqa', '0', '--backend', 'wasm', '--checkpoint', 'ck')).toMatchObject({
      model: path.resolve('pkg'), out: path.resolve('o'), n: 2, seed: 5, steps: 16, samplingSteps: 20, cfg: 2.5, vqa: 0, backend: 'wasm',
      checkpoint: path.resolve('ck'),
    });
    expect(parse('inpaint', '--cases', '4', '--phrasing', 'object')).toMatchObject({ cases: 4, phrasing: 'object' });
    expect(parse('shapes', '--seen', '180', '--temperature', '0.9')).toMatchObject({
      seen: 180, temperature: 0.9, quick: false, out: path.join(root, 'models/eval/shapes-engine-seen'),
    });
    expect(parse('shapes')).toMatchObject({ seen: 0, temperature: undefined });
    // the number of questions left out is shapes.evalset's to choose (none for the validation set; its test)
    expect(parse('shapes', '--seen', '30')).toMatchObject({ seen: 30, vqa: undefined });
    expect(parse('shapes', '--seen', '30', '--vqa', '12')).toMatchObject({ seen: 30, vqa: 12 });
  });

  it('bad arguments: the engine table\'s rules, the benchmark\'s own flags', () => {
    expect(usage()).toBe('expected the benchmark name "shapes" or "inpaint" first (see --help)');
    expect(usage('shapes', '--cases', '4')).toBe('unknown option --cases for eval shapes (see --help)');
    expect(usage('inpaint', '--reference')).toBe('unknown option --reference for eval inpaint (see --help)');
    expect(usage('shapes', '--n', '0')).toBe('--n must be an integer from 1 to 16 (got "0")');
    expect(usage('shapes', '--cfg', 'x')).toBe('--cfg must be a finite number from 1 to 100 (got "x")');
    expect(usage('shapes', '--vqa', '-1')).toBe('--vqa must be an integer ≥ 0 (got "-1")');
    expect(usage('shapes', '--seen', '0')).toBe('--seen must be an integer ≥ 1 (got "0")');
    expect(usage('shapes', '--seen', '6', '--quick')).toBe('--seen N and --quick choose different prompt sets: give one');
    expect(usage('inpaint', '--seen', '6')).toBe('unknown option --seen for eval inpaint (see --help)');
    expect(usage('inpaint', '--cases', '0')).toBe('--cases must be an integer ≥ 1 (got "0")');
    expect(usage('inpaint', '--phrasing', 'poem')).toBe('--phrasing must be describe or object (got "poem")');
    expect(usage('shapes', '--backend', 'cpu')).toBe('--backend must be auto, webgpu or wasm (got "cpu")');
    expect(usage('shapes', '--model')).toBe('--model needs a value');
    expect(usage('shapes', '--fast', '--reference')).toMatch(/^--fast runs the engine's fast preset.*leave out --reference/);
    expect(usage('shapes', '--fast', '--sampling-steps', '20')).toBe('--fast sets the sampling steps per MAR step (50 → 5): leave out --sampling-steps (got 20)');
    expect(usage('inpaint', '--fast')).toBe('unknown option --fast for eval inpaint (see --help)');
    expect(usage('shapes', '--quick', '--quick')).toBe('--quick given more than once');
    expect(parse('--help')).toBe('help');
    expect(parse('inpaint', '-h')).toBe('help');
  });
});
