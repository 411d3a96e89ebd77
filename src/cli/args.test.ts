import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASK_OPTIONS, BACKEND_OPTION, GENERATE_OPTIONS, kebab, type OptionSpec, optionRule } from '../engine/options';
import {
  checkDeterministicInputs,
  parseBackend,
  parseCommand,
  parsePromptsJsonl,
  type AskCommand,
  type Command,
  type GenerateCommand,
} from './args';
import { usageMessage } from './usage-testing';

// A scratch "repository" (for the embedded default) and a scratch working folder.
let tmp: string;
let root: string;
let cwd: string;
let pkg: string;
const MANIFEST = { name: 'fake', defaults: { size: 64 }, diffusion: { default_sampling_steps: 10 }, config: { image_size: 64 } };
/** What the engine reports for that package after load (ModelInfo.defaults). */
const DEFAULTS = { size: 64, samplingSteps: 10 };

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'harmon-args-'));
  root = path.join(tmp, 'repo');
  cwd = path.join(tmp, 'work');
  pkg = path.join(cwd, 'pkg');
  mkdirSync(root, { recursive: true });
  mkdirSync(pkg, { recursive: true });
  writeFileSync(path.join(pkg, 'manifest.json'), JSON.stringify(MANIFEST));
  mkdirSync(path.join(cwd, 'nomanifest'));
  writeFileSync(path.join(cwd, 'img.png'), 'whatever bytes');
  writeFileSync(path.join(cwd, 'empty.png'), '');
  mkdirSync(path.join(cwd, 'adir'));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ctx = () => ({ root, cwd });
const parse = (...argv: string[]): Command => parseCommand(argv, ctx());
const gen = (...argv: string[]) => parse('generate', '--model', 'pkg', ...argv) as GenerateCommand;
const ask = (...argv: string[]) => parse('ask', '--model', 'pkg', ...argv) as AskCommand;

/** The UsageError message of a failing parse. */
const err = usageMessage;
const genErr = (...argv: string[]) => err(() => gen(...argv));
const askErr = (...argv: string[]) => err(() => ask(...argv));

function file(name: string, data: string | Uint8Array): string {
  writeFileSync(path.join(cwd, name), data);
  return name;
}

describe('commands and flags', () => {
  it('needs a known command first', () => {
    expect(err(() => parse())).toMatch(/expected a command: generate or ask/);
    expect(err(() => parse('draw'))).toMatch(/unknown command "draw"/);
    expect(err(() => parse('--prompt', 'x'))).toMatch(/expected a command \(generate or ask\) before --prompt/);
  });

  it('help', () => {
    for (const a of [['--help'], ['-h'], ['help'], ['generate', '--help'], ['ask', '-h']]) {
      const c = parse(...a);
      expect(c.command).toBe('help');
      if (c.command === 'help') expect(c.text).toMatch(/npm run harmon -- generate/);
    }
  });

  it('rejects unknown flags, per command', () => {
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--bogus', '1')).toBe('unknown option --bogus for generate (see --help)');
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--tokens')).toMatch(/unknown option --tokens for generate/);
    expect(askErr('--image', 'img.png', '--question', 'q', '--prompt', 'x')).toMatch(/unknown option --prompt for ask/);
    expect(genErr('--prompt', 'x', '--out', 'o.png', 'stray')).toBe('unexpected argument "stray"');
    expect(genErr('--prompt', 'x', '--out', 'o.png', '-n', '2')).toBe('unexpected argument "-n"');
  });

  it('values: missing, repeated, --flag=value', () => {
    expect(genErr('--prompt')).toBe('--prompt needs a value');
    expect(genErr('--prompt', '--out', 'o.png')).toBe('--prompt needs a value');
    expect(genErr('--prompt', 'a', '--prompt', 'b', '--out', 'o.png')).toBe('--prompt given more than once');
    expect(gen('--prompt=--weird', '--out=o.png', '--n=2').prompts[0].prompt).toBe('--weird');
    expect(askErr('--image', 'img.png', '--question', 'q', '--tokens=1')).toBe('--tokens takes no value');
  });

  it('required flags', () => {
    expect(genErr('--out', 'o.png')).toBe('generate needs --prompt TEXT or --prompts FILE');
    expect(genErr('--prompt', 'x')).toBe('generate needs --out FILE.png');
    expect(genErr('--prompts', 'p.jsonl')).toBe('generate needs --out DIR');
    expect(genErr('--prompt', 'x', '--prompts', 'p.jsonl', '--out', 'o')).toBe('--prompt and --prompts cannot be used together');
    expect(askErr('--question', 'q')).toBe('ask needs --image FILE (or --questions FILE)');
    expect(askErr('--image', 'img.png')).toBe('ask needs --question TEXT');
  });
});

describe('flags made from the engine options table', () => {
  /** A valid value of each kind, not the engine's default (so that it is seen to arrive). */
  const sample = (o: OptionSpec): { raw?: string; value: unknown } => {
    if (o.type === 'int') return o.stride ? { raw: '48', value: 48 } : { raw: String(o.max ?? 7), value: o.max ?? 7 };
    if (o.type === 'number') return { raw: String(o.max), value: o.max };
    if (o.type === 'enum') return { raw: o.values[o.values.length - 1].toUpperCase(), value: o.values[o.values.length - 1] };
    return { value: true };
  };
  const flagOf = (o: OptionSpec) => (typeof o.flag === 'object' ? o.flag.name : o.flag === false ? undefined : o.flag ?? kebab(o.key));
  // strength and grow-mask go with a source image
  const withImage = new Set(['strength', 'growMask']);

  it('every generate option with a flag round-trips into the request', () => {
    for (const o of GENERATE_OPTIONS) {
      const flag = flagOf(o);
      if (!flag) continue;
      const { raw, value } = sample(o);
      const isSwitch = raw === undefined || typeof o.flag === 'object';
      const argv = [`--${flag}`, ...(isSwitch ? [] : [raw]), ...(withImage.has(o.key) ? ['--image', 'img.png'] : [])];
      const c = gen('--prompt', 'x', '--out', 'o.png', ...argv);
      const want = typeof o.flag === 'object' ? o.flag.sets : value;
      expect([o.key, (c.options as Record<string, unknown>)[o.key]]).toEqual([o.key, want]);
    }
    for (const o of ASK_OPTIONS) {
      const { raw, value } = sample(o);
      const c = ask('--image', 'img.png', '--question', 'q', `--${flagOf(o)}`, raw!);
      expect(c.options).toEqual({ [o.key]: value });
    }
  });

  it('a bad value is refused with the table\'s rule', () => {
    for (const o of GENERATE_OPTIONS) {
      const flag = flagOf(o);
      if (!flag || o.type === 'bool' || typeof o.flag === 'object') continue;
      const extra = withImage.has(o.key) ? ['--image', 'img.png'] : [];
      expect(genErr('--prompt', 'x', '--out', 'o.png', ...extra, `--${flag}`, 'bad')).toBe(`--${flag} must be ${optionRule(o)} (got "bad")`);
    }
    for (const o of ASK_OPTIONS) {
      expect(askErr('--image', 'img.png', '--question', 'q', `--${flagOf(o)}`, '-3')).toBe(`--${flagOf(o)} must be ${optionRule(o)} (got "-3")`);
    }
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--backend', 'bad')).toBe(`--backend must be ${optionRule(BACKEND_OPTION)} (got "bad")`);
  });

  it('options without a flag, misspellings and another command\'s flags are unknown', () => {
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--preview')).toBe('unknown option --preview for generate (see --help)');
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--preset', 'fast')).toBe('unknown option --preset for generate (see --help)');
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--sampling_steps', '2')).toBe('unknown option --sampling_steps for generate (see --help)');
    expect(askErr('--image', 'img.png', '--question', 'q', '--fast')).toBe('unknown option --fast for ask (see --help)');
    expect(askErr('--image', 'img.png', '--question', 'q', '--steps', '2')).toBe('unknown option --steps for ask (see --help)');
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--constructor', '1')).toBe('unknown option --constructor for generate (see --help)');
  });

  it('--help lists every flag of the table with its rule', () => {
    const c = parse('--help');
    if (c.command !== 'help') throw new Error('expected help');
    for (const o of [...GENERATE_OPTIONS, ...ASK_OPTIONS, BACKEND_OPTION]) {
      const flag = flagOf(o);
      if (!flag) continue;
      expect(c.text).toContain(`--${flag}`);
      if (o.type === 'int' || o.type === 'number') expect(c.text).toContain(optionRule(o));
    }
  });
});

describe('generate', () => {
  it('defaults: n 1, seed 0, the rest left to the package', () => {
    const c = gen('--prompt', 'a red cube', '--out', 'sub/o.png');
    expect(c.command).toBe('generate');
    expect(c.options).toEqual({ n: 1, seed: 0 });
    expect(c.prompts).toEqual([{ prompt: 'a red cube', line: '{"prompt":"a red cube"}', lineNumber: 0 }]);
    expect(c.genEval).toBe(false);
    expect(c.out).toBe(path.join(cwd, 'sub/o.png'));
    expect(c.model).toEqual({ kind: 'dir', dir: pkg });
    expect(c.latents).toBeUndefined();
    expect(c.orders).toBeUndefined();
    expect(c.noise).toBeUndefined();
    expect(c.backend).toBe('auto');
  });

  it('--backend auto|webgpu|wasm on generate and ask; anything else is a usage error', () => {
    expect(gen('--prompt', 'x', '--out', 'o.png', '--backend', 'wasm').backend).toBe('wasm');
    expect(gen('--prompts', file('p1.jsonl', '{"prompt": "a"}'), '--out', 'dir', '--backend', 'webgpu').backend).toBe('webgpu');
    expect(ask('--image', 'img.png', '--question', 'q', '--backend=auto').backend).toBe('auto');
    expect(ask('--questions', file('q1.jsonl', '{"image": "img.png", "question": "q"}'), '--backend', 'WASM').backend).toBe('wasm');
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--backend', 'cuda')).toBe('--backend must be auto, webgpu or wasm (got "cuda")');
    expect(askErr('--image', 'img.png', '--question', 'q', '--backend', '')).toBe('--backend must be auto, webgpu or wasm (got "")');
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--backend')).toBe('--backend needs a value');
    expect(parseBackend(undefined)).toBe('auto');
    expect(err(() => parseBackend('gpu', '--backends'))).toBe('--backends must be auto, webgpu or wasm (got "gpu")');
  });

  it('all options', () => {
    const c = gen(
      '--prompt', 'x', '--out', 'o.png', '--n', '4', '--size', '512', '--steps', '32', '--cfg', '4.5',
      '--cfg-schedule', 'linear', '--temperature', '0', '--sampling-steps', '50', '--seed', '-7', '--latents', 'l.f32',
    );
    expect(c.options).toEqual({
      n: 4, size: 512, steps: 32, cfg: 4.5, cfgSchedule: 'linear', temperature: 0, samplingSteps: 50, seed: -7,
    });
    expect(c.latents).toBe(path.join(cwd, 'l.f32'));
    expect(gen('--prompt', 'x', '--out', 'o.png', '--cfg', '1', '--temperature', '1e-1').options).toMatchObject({ cfg: 1, temperature: 0.1 });
    expect(gen('--prompt', 'x', '--out', 'O.PNG', '--cfg-schedule', 'constant').options.cfgSchedule).toBe('constant');
  });

  it.each([
    ['--n', '0', '--n must be an integer from 1 to 16 (got "0")'],
    ['--n', '17', '--n must be an integer from 1 to 16 (got "17")'],
    ['--n', '1.5', '--n must be an integer from 1 to 16 (got "1.5")'],
    ['--n', 'two', '--n must be an integer from 1 to 16 (got "two")'],
    ['--n', '', '--n must be an integer from 1 to 16 (got "")'],
    ['--size', '100', '--size must be a positive multiple of 16 (got "100")'],
    ['--size', '0', '--size must be a positive multiple of 16 (got "0")'],
    ['--size', '-256', '--size must be a positive multiple of 16 (got "-256")'],
    ['--size', '256.0', '--size must be a positive multiple of 16 (got "256.0")'],
    ['--steps', '0', '--steps must be an integer from 1 to 1024 (got "0")'],
    ['--steps', '1025', '--steps must be an integer from 1 to 1024 (got "1025")'],
    ['--cfg', '0.5', '--cfg must be a finite number from 1 to 100 (got "0.5")'],
    ['--cfg', 'abc', '--cfg must be a finite number from 1 to 100 (got "abc")'],
    ['--cfg', 'Infinity', '--cfg must be a finite number from 1 to 100 (got "Infinity")'],
    ['--cfg', 'NaN', '--cfg must be a finite number from 1 to 100 (got "NaN")'],
    ['--cfg', '1e999', '--cfg must be a finite number from 1 to 100 (got "1e999")'],
    ['--cfg', '100.5', '--cfg must be a finite number from 1 to 100 (got "100.5")'],
    ['--cfg', '0x10', '--cfg must be a finite number from 1 to 100 (got "0x10")'],
    ['--cfg-schedule', 'cosine', '--cfg-schedule must be constant or linear (got "cosine")'],
    ['--temperature', '-0.1', '--temperature must be a finite number from 0 to 10 (got "-0.1")'],
    ['--temperature', 'hot', '--temperature must be a finite number from 0 to 10 (got "hot")'],
    ['--sampling-steps', '1', '--sampling-steps must be an integer from 2 to 1000 (got "1")'],
    ['--sampling-steps', '1001', '--sampling-steps must be an integer from 2 to 1000 (got "1001")'],
    ['--seed', '1.5', '--seed must be an integer (got "1.5")'],
    ['--seed', '99999999999999999999', '--seed must be an integer (got "99999999999999999999")'],
  ])('%s %j → error', (flag, value, message) => {
    expect(genErr('--prompt', 'x', '--out', 'o.png', flag, value)).toBe(message);
  });

  it('accepts the bounds', () => {
    expect(gen('--prompt', 'x', '--out', 'o.png', '--sampling-steps', '2').options.samplingSteps).toBe(2);
    expect(gen('--prompt', 'x', '--out', 'o.png', '--sampling-steps', '1000').options.samplingSteps).toBe(1000);
    expect(gen('--prompt', 'x', '--out', 'o.png', '--size', '16', '--steps', '1').options).toMatchObject({ size: 16, steps: 1 });
  });

  it('prompt: empty, whitespace, too long', () => {
    expect(genErr('--prompt', '', '--out', 'o.png')).toBe('the prompt is empty');
    expect(genErr('--prompt', '  \n\t ', '--out', 'o.png')).toBe('the prompt is empty');
    expect(genErr('--prompt', 'a red\x1b[31m circle', '--out', 'o.png')).toBe('the prompt contains the control character U+001B at position 5; remove it');
    expect(genErr('--prompt', 'x'.repeat(2001), '--out', 'o.png')).toBe(
      'the prompt is 2001 characters long; the limit is 2000',
    );
    expect(gen('--prompt', 'x'.repeat(2000), '--out', 'o.png').prompts[0].prompt).toHaveLength(2000);
    // characters, not UTF-16 units
    expect(gen('--prompt', '🐱'.repeat(2000), '--out', 'o.png').prompts[0].prompt).toHaveLength(4000);
  });

  it('the empty prompt is reported before a missing model', () => {
    expect(err(() => parse('generate', '--prompt', '', '--out', 'o.png'))).toBe('the prompt is empty');
  });

  it('outputs', () => {
    expect(genErr('--prompt', 'x', '--out', 'o.jpg')).toBe('--out o.jpg must be a .png file');
    expect(genErr('--prompt', 'x', '--out', '')).toMatch(/--out/);
    expect(genErr('--prompt', 'x', '--out', 'adir')).toMatch(/must be a .png file/);
    mkdirSync(path.join(cwd, 'dir.png'), { recursive: true });
    expect(genErr('--prompt', 'x', '--out', 'dir.png')).toBe('--out dir.png is a folder');
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--latents', 'adir')).toBe('--latents adir is a folder');
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--latents', 'o.png')).toBe('--latents and --out name the same file');
    // the nearest existing ancestor must be a folder
    expect(genErr('--prompt', 'x', '--out', 'img.png/sub/o.png')).toBe(`--out img.png/sub/o.png: ${path.join(cwd, 'img.png')} is not a folder`);
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--latents', 'img.png/l.f32')).toMatch(/^--latents img\.png\/l\.f32: .* is not a folder$/);
    expect(gen('--prompt', 'x', '--out', 'new/deeper/o.png').out).toBe(path.join(cwd, 'new/deeper/o.png'));
  });
});

describe('model', () => {
  it('a folder with manifest.json, relative or absolute, or the manifest itself', () => {
    expect(gen('--prompt', 'x', '--out', 'o.png').model).toEqual({ kind: 'dir', dir: pkg });
    const abs = parse('generate', '--model', pkg, '--prompt', 'x', '--out', 'o.png') as GenerateCommand;
    expect(abs.model).toEqual({ kind: 'dir', dir: pkg });
    const m = parse('generate', '--model', 'pkg/manifest.json', '--prompt', 'x', '--out', 'o.png') as GenerateCommand;
    expect(m.model).toEqual({ kind: 'dir', dir: pkg });
  });

  it('missing folder, not a folder, no manifest', () => {
    const p = (model: string) => err(() => parse('generate', '--model', model, '--prompt', 'x', '--out', 'o.png'));
    expect(p('nope')).toBe('model folder not found: nope');
    expect(p('img.png')).toBe('--model img.png is not a folder');
    expect(p('nomanifest')).toBe('--model nomanifest has no manifest.json (not a model package)');
    expect(p('')).toBe('--model is empty');
    expect(p('ftp://host/pkg')).toMatch(/only http\(s\) URLs or local folders/);
    expect(err(() => parse('ask', '--model', 'nope', '--image', 'img.png', '--question', 'q'))).toBe('model folder not found: nope');
  });

  it('a URL is passed through unchecked, as a folder URL', () => {
    const u = (model: string) => (parse('generate', '--model', model, '--prompt', 'x', '--out', 'o.png') as GenerateCommand).model;
    expect(u('https://example.com/harmon-0.5b')).toEqual({ kind: 'url', url: 'https://example.com/harmon-0.5b/' });
    expect(u('http://127.0.0.1:8000/pkg/')).toEqual({ kind: 'url', url: 'http://127.0.0.1:8000/pkg/' });
    expect(u('https://h/pkg?sig=1')).toEqual({ kind: 'url', url: 'https://h/pkg?sig=1' });
  });

  it('without --model: the embedded default, or a clear error', () => {
    const msg = 'no embedded default model at models/default/package; pass --model PKG_DIR';
    expect(err(() => parse('generate', '--prompt', 'x', '--out', 'o.png'))).toBe(msg);
    expect(err(() => parse('ask', '--image', 'img.png', '--question', 'q'))).toBe(msg);
    const dir = path.join(root, 'models/default/package');
    mkdirSync(dir, { recursive: true });
    expect(err(() => parse('generate', '--prompt', 'x', '--out', 'o.png'))).toBe(msg); // no manifest yet
    writeFileSync(path.join(dir, 'manifest.json'), '{}');
    try {
      expect((parse('generate', '--prompt', 'x', '--out', 'o.png') as GenerateCommand).model).toEqual({ kind: 'dir', dir });
    } finally {
      rmSync(path.join(root, 'models'), { recursive: true });
    }
  });
});

describe('--prompts (GenEval metadata)', () => {
  const LINES = [
    '{"tag": "single_object", "include": [{"class": "bench", "count": 1}], "prompt": "a photo of a bench"}',
    '{"prompt":"two cats","tag":"counting"}',
  ];

  it('reads each line, unchanged; skips blank lines; counts lines from 1', () => {
    const f = file('p.jsonl', `${LINES[0]}\r\n\n${LINES[1]}\n`);
    const c = gen('--prompts', f, '--out', 'outdir', '--n', '4');
    expect(c.genEval).toBe(true);
    expect(c.out).toBe(path.join(cwd, 'outdir'));
    expect(c.prompts).toEqual([
      { prompt: 'a photo of a bench', line: LINES[0], lineNumber: 1 },
      { prompt: 'two cats', line: LINES[1], lineNumber: 3 },
    ]);
  });

  it('says which line is bad', () => {
    const bad = (text: string) => genErr('--prompts', file('bad.jsonl', text), '--out', 'outdir');
    expect(bad(`${LINES[0]}\n{"prompt": 1}\n`)).toBe('bad.jsonl line 2: expected a JSON object with a "prompt" string');
    expect(bad(`${LINES[0]}\n\n{not json\n`)).toMatch(/^bad\.jsonl line 3: not valid JSON/);
    expect(bad('["a"]\n')).toBe('bad.jsonl line 1: expected a JSON object with a "prompt" string');
    expect(bad('"a photo"\n')).toBe('bad.jsonl line 1: expected a JSON object with a "prompt" string');
    expect(bad('{"tag": "x"}\n')).toBe('bad.jsonl line 1: expected a JSON object with a "prompt" string');
    expect(bad(`${LINES[1]}\n{"prompt": "   "}\n`)).toBe('bad.jsonl line 2: the prompt is empty');
    expect(bad(`{"prompt": "${'y'.repeat(2001)}"}\n`)).toBe(
      'bad.jsonl line 1: the prompt is 2001 characters long; the limit is 2000',
    );
    expect(bad('\n\n')).toBe('bad.jsonl has no prompts');
  });

  it('strips a byte-order mark', () => {
    expect(parsePromptsJsonl(`\ufeff${LINES[1]}`, 'f')[0].line).toBe(LINES[1]);
  });

  it('file and output checks', () => {
    expect(genErr('--prompts', 'missing.jsonl', '--out', 'outdir')).toBe('--prompts missing.jsonl: file not found');
    expect(genErr('--prompts', 'adir', '--out', 'outdir')).toBe('--prompts adir: not a file');
    const f = file('ok.jsonl', `${LINES[1]}\n`);
    expect(genErr('--prompts', f, '--out', 'img.png')).toBe('--out img.png exists and is not a folder (--prompts writes a folder)');
    expect(genErr('--prompts', f, '--out', 'outdir', '--latents', 'l.f32')).toBe('--latents needs --prompt (one prompt), not --prompts');
  });
});

describe('--orders and --noise', () => {
  const perm = (N: number, shift = 0) => Array.from({ length: N }, (_, i) => (i + shift) % N);
  const noise = (values: number) => new Uint8Array(values * 4);

  it('orders: n permutations of 0…N−1, N from --size', () => {
    const f = file('o.json', JSON.stringify([perm(16), perm(16, 3)]));
    const c = gen('--prompt', 'x', '--out', 'o.png', '--n', '2', '--size', '64', '--orders', f);
    expect(c.orders).toEqual([perm(16), perm(16, 3)]);
    expect(c.pendingDeterministicCheck).toBe(false);
  });

  it('orders: without --size, N from the defaults the engine reports after load (not the manifest)', () => {
    const f = file('o.json', JSON.stringify([perm(16)]));
    const c = gen('--prompt', 'x', '--out', 'o.png', '--orders', f);
    expect(c.orders).toEqual([perm(16)]);
    expect(c.pendingDeterministicCheck).toBe(true);
    checkDeterministicInputs(c, DEFAULTS);
    expect(c.pendingDeterministicCheck).toBe(false);
    expect(c.options).toEqual({ n: 1, seed: 0 }); // nothing pinned: the engine runs its own defaults
    const c2 = gen('--prompt', 'x', '--out', 'o.png', '--orders', f);
    expect(err(() => checkDeterministicInputs(c2, { size: 256, samplingSteps: 100 }))).toBe(
      '--orders o.json: entry 0 is not a permutation of 0…255 (N = 256 tokens)',
    );
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--size', '256', '--orders', f)).toBe(
      '--orders o.json: entry 0 is not a permutation of 0…255 (N = 256 tokens)',
    );
    expect(err(() => checkDeterministicInputs(gen('--prompt', 'x', '--out', 'o.png', '--orders', f), undefined))).toMatch(
      /^--orders\/--noise need the image size and sampling steps: the engine reported no package defaults/);
  });

  it('orders: bad files', () => {
    const o = (data: unknown, n = 1) =>
      genErr('--prompt', 'x', '--out', 'o.png', '--size', '64', '--n', String(n), '--orders', file('o.json', typeof data === 'string' ? data : JSON.stringify(data)));
    expect(o('[[0,1')).toMatch(/^--orders o\.json: not valid JSON/);
    expect(o({ a: 1 })).toBe('--orders o.json: expected a JSON array with one permutation per image');
    expect(o([perm(16)], 2)).toBe('--orders o.json: has 1 order; expected one per image (--n 2)');
    expect(o([perm(16), perm(16), perm(16)], 2)).toBe('--orders o.json: has 3 orders; expected one per image (--n 2)');
    expect(o([perm(16), 'x'], 2)).toBe('--orders o.json: entry 1 is not an array of integers');
    expect(o([[...perm(16).slice(0, 15), 0.5]])).toBe('--orders o.json: entry 0 is not an array of integers');
    expect(o([perm(15)])).toBe('--orders o.json: entry 0 is not a permutation of 0…15 (N = 16 tokens)');
    expect(o([[...perm(16).slice(0, 15), 0]])).toMatch(/entry 0 is not a permutation/); // repeat
    expect(o([[...perm(16).slice(0, 15), 16]])).toMatch(/entry 0 is not a permutation/); // out of range
    expect(o([[...perm(16).slice(0, 15), -1]])).toMatch(/entry 0 is not a permutation/);
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--orders', 'nope.json')).toBe('--orders nope.json: file not found');
  });

  it('noise: exactly n·N·(S+1)·16 float32', () => {
    // size 64 → N = 16; S = 10 from the engine's defaults
    const good = 2 * 16 * 11 * 16;
    const f = file('n.f32', noise(good));
    const c = gen('--prompt', 'x', '--out', 'o.png', '--n', '2', '--noise', f);
    expect(c.noise!.byteLength).toBe(good * 4);
    checkDeterministicInputs(c, DEFAULTS);
    expect(c.options).toEqual({ n: 2, seed: 0 });
    // --size alone does not fix S: still waits for the engine
    expect(gen('--prompt', 'x', '--out', 'o.png', '--n', '2', '--size', '64', '--noise', f).pendingDeterministicCheck).toBe(true);
    const f2 = file('n2.f32', noise(1 * 4 * 22 * 16));
    const c2 = gen('--prompt', 'x', '--out', 'o.png', '--n', '1', '--size', '32', '--sampling-steps', '21', '--noise', f2);
    expect(c2.noise!.byteLength).toBe(1 * 4 * 22 * 16 * 4);
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--n', '1', '--size', '64', '--sampling-steps', '10', '--noise', f)).toBe(
      `--noise n.f32: has ${good * 4} bytes; expected n·N·(S+1)·16·4 = 1·16·11·16·4 = ${16 * 11 * 16 * 4}`,
    );
    expect(err(() => checkDeterministicInputs(gen('--prompt', 'x', '--out', 'o.png', '--noise', f), DEFAULTS))).toBe(
      `--noise n.f32: has ${good * 4} bytes; expected n·N·(S+1)·16·4 = 1·16·11·16·4 = ${16 * 11 * 16 * 4}`,
    );
    expect(genErr('--prompt', 'x', '--out', 'o.png', '--noise', file('odd.f32', new Uint8Array(7)))).toBe(
      '--noise odd.f32: 7 bytes is not a whole number of float32 values',
    );
  });

  it('a URL model: the same rule, nothing is fetched before the engine loads it', () => {
    const f = file('o.json', JSON.stringify([perm(16)]));
    const c = parse('generate', '--model', 'https://h/pkg', '--prompt', 'x', '--out', 'o.png', '--orders', f) as GenerateCommand;
    expect(c.pendingDeterministicCheck).toBe(true);
    checkDeterministicInputs(c, DEFAULTS);
    expect(c.pendingDeterministicCheck).toBe(false);
    const withSize = parse('generate', '--model', 'https://h/pkg', '--prompt', 'x', '--out', 'o.png', '--size', '64', '--orders', f);
    expect((withSize as GenerateCommand).pendingDeterministicCheck).toBe(false);
  });
});

describe('ask', () => {
  it('parses', () => {
    const c = ask('--image', 'img.png', '--question', 'What is this?', '--max-new-tokens', '32', '--tokens');
    expect(c.command).toBe('ask');
    expect(c.items).toHaveLength(1);
    expect(c.items[0].imageName).toBe('img.png');
    expect(Buffer.from(c.items[0].image).toString()).toBe('whatever bytes');
    expect(c.items[0].question).toBe('What is this?');
    expect(c.batch).toBe(false);
    expect(c.options).toEqual({ maxNewTokens: 32 });
    expect(c.tokens).toBe(true);
    const d = ask('--image', 'img.png', '--question', 'q');
    expect(d.options).toEqual({});
    expect(d.tokens).toBe(false);
  });

  it('--size and --repetition-penalty, on one question and on a batch', () => {
    const c = ask('--image', 'img.png', '--question', 'q', '--size', '512', '--repetition-penalty', '1.1');
    expect(c.options).toEqual({ size: 512, repetitionPenalty: 1.1 });
    const b = ask('--questions', file('q2.jsonl', '{"image": "img.png", "question": "q"}'), '--size=256', '--repetition-penalty=1');
    expect(b.options).toEqual({ size: 256, repetitionPenalty: 1 });
    expect(askErr('--image', 'img.png', '--question', 'q', '--size', '500')).toBe('--size must be a positive multiple of 16 (got "500")');
    expect(askErr('--image', 'img.png', '--question', 'q', '--repetition-penalty', '0')).toBe('--repetition-penalty must be a number in (0, 10] (got "0")');
    expect(askErr('--image', 'img.png', '--question', 'q', '--repetition-penalty', 'x')).toMatch(/--repetition-penalty must be/);
  });

  it('errors', () => {
    expect(askErr('--image', 'missing.png', '--question', 'q')).toBe('--image missing.png: file not found');
    expect(askErr('--image', 'adir', '--question', 'q')).toBe('--image adir: not a file');
    expect(askErr('--image', 'empty.png', '--question', 'q')).toBe('--image empty.png: the file is empty');
    expect(askErr('--image', 'img.png', '--question', ' ')).toBe('the question is empty');
    expect(askErr('--image', 'img.png', '--question', 'q'.repeat(2001))).toBe('the question is 2001 characters long; the limit is 2000');
    expect(askErr('--image', 'img.png', '--question', 'q', '--max-new-tokens', '0')).toBe('--max-new-tokens must be an integer from 1 to 2048 (got "0")');
    expect(askErr('--image', 'img.png', '--question', 'q', '--max-new-tokens', 'lots')).toMatch(/--max-new-tokens must be/);
    expect(askErr('--image', 'img.png', '--question', 'q', '--max-new-tokens', '2049')).toBe('--max-new-tokens must be an integer from 1 to 2048 (got "2049")');
    expect(askErr('--image', 'img.png', '--question', 'what\x07 colour?')).toBe('the question contains the control character U+0007 at position 4; remove it');
  });

  it('--questions: a JSON-lines batch, image paths relative to the file', () => {
    mkdirSync(path.join(cwd, 'qs'), { recursive: true });
    writeFileSync(path.join(cwd, 'qs', 'a.png'), 'A');
    const lines = ['{"image": "a.png", "question": "How many?", "answer": "two"}', '', '{"image":"a.png","question":"Color?"}'];
    writeFileSync(path.join(cwd, 'qs', 'q.jsonl'), lines.join('\n'));
    const c = ask('--questions', 'qs/q.jsonl');
    expect(c.batch).toBe(true);
    expect(c.items.map((i) => [i.imageName, i.question, Buffer.from(i.image).toString()])).toEqual([
      ['a.png', 'How many?', 'A'],
      ['a.png', 'Color?', 'A'],
    ]);
    expect(c.items[0].line).toBe(lines[0]);
  });

  it('--questions errors', () => {
    mkdirSync(path.join(cwd, 'qs'), { recursive: true });
    const file = (name: string, text: string) => (writeFileSync(path.join(cwd, 'qs', name), text), `qs/${name}`);
    expect(askErr('--questions', file('n.jsonl', '{"image": "nope.png", "question": "q"}'))).toBe(
      'qs/n.jsonl line 1: --image nope.png: file not found');
    expect(askErr('--questions', file('m.jsonl', '{"question": "q"}'))).toBe(
      'qs/m.jsonl line 1: expected a JSON object with a "image" string and a "question" string');
    expect(askErr('--questions', file('e.jsonl', '\n\n'))).toBe('qs/e.jsonl has no questions');
    expect(askErr('--questions', file('b.jsonl', '{"image": "a.png", "question": " "}'))).toBe('qs/b.jsonl line 1: the question is empty');
    expect(askErr('--questions', file('x.jsonl', '{'))).toMatch(/^qs\/x.jsonl line 1: not valid JSON/);
    expect(askErr('--questions', 'qs/x.jsonl', '--image', 'img.png')).toBe('--questions cannot be used with --image or --question');
  });
});
