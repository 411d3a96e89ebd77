// The bad-input corpus (issue 16): every case once, with the message it must give, run by each
// surface's runner (reliability.browser.test.ts: the engine in-process and behind its worker, and
// the image decoder the demo, the widget and the CLI share; cli.reliability.test.ts: the CLI).
// After every refused case a runner sends one valid request, which must succeed: a refusal leaves
// the engine usable.
//
// Patterns are stable parts of the message (the option's name and its bound), not whole strings,
// so that rewording one message does not break the corpus.

/** engine: in-process; worker: EngineClient; decoder: the image decoder of the demo and the widget
 * (src/ui/images.ts); cli-decoder: the CLI page's (src/cli/host.ts); cli: `npm run harmon`, spawned. */
export type Surface = 'engine' | 'worker' | 'decoder' | 'cli-decoder' | 'cli';
export const SURFACES: readonly Surface[] = ['engine', 'worker', 'decoder', 'cli-decoder', 'cli'];

export type Group = 'prompt' | 'question' | 'setting' | 'image' | 'package';

/** `ok`: the request succeeds; a RegExp: it fails with a message matching it. */
export type Expected = 'ok' | RegExp;

interface Base {
  /** unique, stable: the results file is keyed by it */
  id: string;
  group: Group;
  /** what the case is, for the README table */
  name: string;
  expect: Expected;
  /** the surfaces it runs on (a value the CLI cannot even express is not a CLI case) */
  surfaces: readonly Surface[];
}

/** engine.generate(prompt, options) / `harmon generate --prompt … [flags]` */
export interface GenerateCase extends Base {
  kind: 'generate';
  prompt: unknown;
  options?: Record<string, unknown>;
  /** the CLI's flags for the same request, when it differs from `options` spelled as flags */
  cli?: string[];
}

/** engine.ask(the golden image, question, options) */
export interface AskCase extends Base {
  kind: 'ask';
  question: unknown;
  options?: Record<string, unknown>;
  /** an InputImage-like value instead of the golden picture (malformed images) */
  image?: unknown;
  cli?: string[];
}

/** an image file (fixtures/NAME) decoded as the demo, widget and CLI do, then asked about */
export interface ImageCase extends Base {
  kind: 'image';
  file: string;
  /** with `ok`: the size the decoder must give */
  size?: [number, number];
}

/** engine.load of a package: the golden one, changed as `change` says, served under `url` */
export interface PackageCase extends Base {
  kind: 'package';
  change: PackageChange;
}

export type PackageChange =
  | { type: 'url'; url: string }
  | { type: 'manifest'; edit: (m: any) => void }
  | { type: 'manifest-text'; text: string }
  | { type: 'file'; file: string; bytes: (b: Uint8Array) => Uint8Array; keepHash?: boolean };

export type Case = GenerateCase | AskCase | ImageCase | PackageCase;

/** a case as written below: its kind, group and (by default) surfaces are filled in per list */
type Draft<T> = Omit<T, 'kind' | 'group' | 'surfaces'> & { surfaces?: readonly Surface[] };

const ALL: readonly Surface[] = ['engine', 'worker', 'cli'];
const API: readonly Surface[] = ['engine', 'worker'];
const x = (n: number, s = 'x') => s.repeat(n);

const prompts: GenerateCase[] = ([
  { id: 'prompt-empty', name: 'empty', prompt: '', expect: /prompt is empty/ },
  { id: 'prompt-whitespace', name: 'whitespace only', prompt: ' \n\t\u3000', expect: /prompt is empty/ },
  { id: 'prompt-over-limit', name: '2,001 characters', prompt: x(2001), expect: /2001 characters.*limit is 2000/ },
  { id: 'prompt-10000-tokens', name: '10,000 words', prompt: x(10000, 'a '), expect: /limit is 2000/ },
  { id: 'prompt-token-overflow', name: '1,000 emoji (~4,000 byte tokens, under the character limit)', prompt: x(1000, '🦀'),
    expect: /positions, more than the model's 2048/ },
  { id: 'prompt-not-string', name: 'not a string (42)', prompt: 42, expect: /prompt must be a string, got number/, surfaces: API },
  { id: 'prompt-null', name: 'null', prompt: null, expect: /prompt must be a string, got null/, surfaces: API },
  { id: 'prompt-control', name: 'control characters (ESC, a terminal colour code)', prompt: 'a red\u001b[31m circle', expect: /control character U\+001B/ },
  // a NUL cannot be a command-line argument at all
  { id: 'prompt-nul', name: 'a NUL character', prompt: 'a red\u0000circle', expect: /control character U\+0000/, surfaces: API },
  { id: 'prompt-emoji', name: 'emoji only (valid)', prompt: '🔴⭕', expect: 'ok' },
] as Draft<GenerateCase>[]).map((c) => ({ surfaces: ALL, ...c, kind: 'generate' as const, group: 'prompt' as const }));

const questions: AskCase[] = ([
  { id: 'question-empty', name: 'empty', question: '', expect: /question is empty/ },
  { id: 'question-whitespace', name: 'whitespace only', question: '\n \t', expect: /question is empty/ },
  { id: 'question-over-limit', name: '2,001 characters', question: x(2001, 'q'), expect: /2001 characters.*limit is 2000/ },
  { id: 'question-not-string', name: 'not a string ({})', question: {}, expect: /question must be a string, got object/, surfaces: API },
  { id: 'question-control', name: 'control characters (BEL)', question: 'what\u0007 colour?', expect: /control character U\+0007/ },
  { id: 'question-emoji', name: 'emoji only (valid)', question: '❓', expect: 'ok' },
  { id: 'question-max-tokens-0', name: 'maxNewTokens 0', question: 'what?', options: { maxNewTokens: 0 },
    cli: ['--max-new-tokens', '0'], expect: /(maxNewTokens|--max-new-tokens) must be an integer from 1 to 2048/ },
  { id: 'question-max-tokens-huge', name: 'maxNewTokens 10⁶', question: 'what?', options: { maxNewTokens: 1e6 },
    cli: ['--max-new-tokens', '1000000'], expect: /(maxNewTokens|--max-new-tokens) must be an integer from 1 to 2048/ },
  { id: 'question-unknown-option', name: 'unknown option (maxTokens)', question: 'what?', options: { maxTokens: 3 },
    cli: ['--max-tokens', '3'], expect: /unknown (ask )?option.*max-?tokens/i },
  { id: 'image-malformed', name: 'image: RGBA of the wrong length', question: 'what?', image: { width: 4, height: 4, rgba: new Uint8ClampedArray(7) },
    expect: /malformed image: 4×4 with 7 bytes/, surfaces: API },
  { id: 'image-not-pixels', name: 'image: not pixels (a string of a URL)', question: 'what?', image: { src: 'cat.png' },
    expect: /malformed image: expected \{ width, height, rgba \}/, surfaces: API },
] as Draft<AskCase>[]).map((c) => ({ surfaces: ALL, ...c, kind: 'ask' as const, group: 'question' as const }));

// name, option, value, the CLI flag's spelling, the expected pattern
const settingRows: [string, string, unknown, string, RegExp][] = [
  ['steps NaN', 'steps', Number.NaN, 'NaN', /steps must be an integer/],
  ['steps −1', 'steps', -1, '-1', /steps must be an integer from 1 to 1024/],
  ['steps 2.5', 'steps', 2.5, '2.5', /steps must be an integer/],
  ['steps 10⁶', 'steps', 1e6, '1000000', /steps must be an integer from 1 to 1024/],
  ['n 0', 'n', 0, '0', /n must be an integer from 1 to 16/],
  ['n 1000', 'n', 1000, '1000', /n must be an integer from 1 to 16/],
  ['n 1.5', 'n', 1.5, '1.5', /n must be an integer/],
  ['cfg NaN', 'cfg', Number.NaN, 'NaN', /cfg must be a finite number from 1 to 100/],
  ['cfg −3', 'cfg', -3, '-3', /cfg must be a finite number from 1 to 100/],
  ['cfg 1000', 'cfg', 1000, '1000', /cfg must be a finite number from 1 to 100/],
  ['temperature −1', 'temperature', -1, '-1', /temperature must be a finite number from 0 to 10/],
  ['temperature 11', 'temperature', 11, '11', /temperature must be a finite number from 0 to 10/],
  ['sampling steps 1.5', 'samplingSteps', 1.5, '1.5', /(samplingSteps|--sampling-steps) must be an integer from 2 to 1000/],
  ['sampling steps 10⁶', 'samplingSteps', 1e6, '1000000', /(samplingSteps|--sampling-steps) must be an integer from 2 to 1000/],
  ['seed 0.5', 'seed', 0.5, '0.5', /seed must be an integer/],
  ['size 60 (not a multiple of 16)', 'size', 60, '60', /size must be a positive multiple of 16/],
  ['size 20,000 (beyond the model\'s positions)', 'size', 20000, '20000', /canvas has 1562500 tokens.*more than the model's 2048/],
  ['width 64 × height 16,384', 'width', 64, '64', /64×16384 canvas.*more than the model's 2048/],
  ['cfg schedule "cubic"', 'cfgSchedule', 'cubic', 'cubic', /(cfgSchedule|--cfg-schedule) must be constant or linear/],
  ['unknown option (stpes)', 'stpes', 4, '4', /unknown (generate )?option.*stpes/],
];

const flag = (option: string) => `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

const settings: GenerateCase[] = settingRows.map(([name, option, value, raw, expect]) => {
  // the probe's own small settings first, so that the tested one replaces them
  const options: Record<string, unknown> = { steps: 1, samplingSteps: 2, [option]: value };
  if (option === 'width') options.height = 16384;
  const cli = [flag(option), raw, ...(option === 'width' ? ['--height', '16384'] : [])];
  // the probe's own small settings (steps 1, samplingSteps 2) are left as they are unless tested
  if (option !== 'steps' && option !== 'samplingSteps') cli.push('--steps', '1', '--sampling-steps', '2');
  else cli.push(option === 'steps' ? '--sampling-steps' : '--steps', option === 'steps' ? '2' : '1');
  return { id: `setting-${option}-${raw}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-'), group: 'setting' as const, kind: 'generate' as const,
    name, prompt: 'a red circle', options, cli, expect, surfaces: ALL };
});

const UNREADABLE = /could not be read as an image|could not decode the image/;
const images: ImageCase[] = ([
  { id: 'image-not-an-image', name: 'not an image (an HTML page)', file: 'not-an-image.png', expect: UNREADABLE },
  { id: 'image-truncated-png', name: 'truncated PNG', file: 'truncated.png', expect: UNREADABLE },
  { id: 'image-truncated-jpeg', name: 'truncated JPEG', file: 'truncated.jpg', expect: UNREADABLE },
  { id: 'image-1x1', name: '1×1', file: 'one-pixel.png', expect: 'ok', size: [1, 1] },
  { id: 'image-20000', name: '20,000×20,000 (refused from its header)', file: 'huge-20000.png', expect: /20000×20000 pixels; the largest image taken is/ },
  { id: 'image-animated-gif', name: 'animated GIF (first frame)', file: 'animated.gif', expect: 'ok', size: [32, 32] },
  { id: 'image-cmyk-jpeg', name: 'CMYK JPEG', file: 'cmyk.jpg', expect: 'ok', size: [32, 32] },
  { id: 'image-16-bit-png', name: '16-bit RGB PNG', file: 'rgb16.png', expect: 'ok', size: [32, 32] },
  { id: 'image-alpha-png', name: 'PNG with alpha', file: 'alpha.png', expect: 'ok', size: [32, 32] },
] as Draft<ImageCase>[]).map((c) => ({ surfaces: ['decoder', 'cli-decoder'] as const, ...c, kind: 'image' as const, group: 'image' as const }));

const packages: PackageCase[] = ([
  { id: 'package-404', name: 'a URL that 404s', change: { type: 'url', url: '/models/golden/nowhere/' }, expect: /404/ },
  { id: 'package-html', name: 'a URL that returns HTML', change: { type: 'url', url: '/src/reliability/fixtures/html-package/' },
    expect: /is not JSON, so this is not a model package/ },
  { id: 'package-not-json', name: 'a manifest that is not JSON', change: { type: 'manifest-text', text: '{"format": "harmon-webgpu-package", ' },
    expect: /is not JSON/ },
  { id: 'package-format-version', name: 'format_version 99', change: { type: 'manifest', edit: (m) => { m.format_version = 99; } },
    expect: /format version 99 is not supported/ },
  { id: 'package-sha', name: 'a file whose SHA-256 does not match', expect: /llm\.onnx: SHA-256 mismatch/,
    change: { type: 'file', file: 'llm.onnx', keepHash: true, bytes: (b) => { const c = b.slice(); c[1000] ^= 0xff; return c; } } },
  { id: 'package-truncated', name: 'a truncated file', expect: /vae_decoder\.onnx: (received )?\d+ bytes, the manifest lists \d+/,
    change: { type: 'file', file: 'vae_decoder.onnx', keepHash: true, bytes: (b) => b.slice(0, b.length >> 1) } },
  { id: 'package-climbs-out', name: 'a file path ../x (climbs out of the package)', expect: /bad file name "\.\.\/x"/,
    change: { type: 'manifest', edit: (m) => { m.files['../x'] = m.files['llm.onnx']; } } },
  { id: 'package-other-origin', name: 'a file path on another origin', expect: /bad file name "https:\/\/evil\.example\/llm\.onnx"/,
    change: { type: 'manifest', edit: (m) => { m.files['https://evil.example/llm.onnx'] = m.files['llm.onnx']; } } },
  { id: 'package-shapes', name: 'a config whose shapes disagree with the weights (hidden 64 → 96)',
    expect: /config and its weights disagree: embeddings\.safetensors llm\.model\.embed_tokens\.weight is \[512, 64\], the config says \[512, 96\]/,
    change: { type: 'manifest', edit: (m) => { m.config.llm.hidden_size = 96; } } },
  { id: 'package-tokenizer-100mb', name: 'a tokenizer.json of 100 MB', expect: /tokenizer\.json is 104857600 bytes; the largest taken is/,
    change: { type: 'manifest', edit: (m) => { m.files['tokenizer.json'].bytes = 100 * 2 ** 20; } } },
] as Draft<PackageCase>[]).map((c) => ({ ...c, kind: 'package' as const, group: 'package' as const, surfaces: API }));

export const CORPUS: readonly Case[] = [...prompts, ...questions, ...settings, ...images, ...packages];

/** Surface → its cases. */
export function casesFor(surface: Surface): Case[] {
  return CORPUS.filter((c) => c.surfaces.includes(surface));
}

/** What a run of one case gave: a pass when it matched `expect`, and the message it got. */
export interface CaseResult {
  id: string;
  pass: boolean;
  /** the error's message, or 'ok' */
  got: string;
  /** the valid request after it succeeded (the engine stayed usable); absent where not checked */
  usableAfter?: boolean;
}

export function judge(c: Case, outcome: { ok: true } | { error: string }): CaseResult {
  const got = 'ok' in outcome ? 'ok' : outcome.error;
  const pass = c.expect === 'ok' ? 'ok' in outcome : 'error' in outcome && c.expect.test(outcome.error);
  return { id: c.id, pass, got };
}
