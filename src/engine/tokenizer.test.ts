import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Manifest } from './package';
import { parseSafetensors } from './safetensors';
import { checkPrompt, formatTemplate, TextCodec } from './tokenizer';

const GOLDEN = new URL('../../models/golden/tiny/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, GOLDEN), 'utf8');
const manifest = JSON.parse(read('package/manifest.json')) as Manifest;
const codec = TextCodec.fromPackage({ manifest, text: (name) => read(`package/${name}`) });
const vectors = parseSafetensors(readFileSync(new URL('vectors.safetensors', GOLDEN)));
const meta = JSON.parse(read('vectors.json'));

/** Rows of a (B, P) int32 golden tensor. */
function rows(name: string): number[][] {
  const t = vectors.get(name)!;
  const [B, P] = t.shape;
  const d = Array.from(t.data as Int32Array);
  return Array.from({ length: B }, (_, b) => d.slice(b * P, (b + 1) * P));
}

// Ids printed by the reference: scripts/py -c "from harmon.text import TextCodec;
// c=TextCodec.from_file('models/golden/tiny/package/tokenizer.json'); print(c.encode(s))"
const PYTHON_IDS: [string, number[]][] = [
  ['<|im_start|>user\nHi there, what is 2+2?<|im_end|>\n',
    [1, 87, 85, 276, 201, 42, 75, 286, 14, 223, 89, 74, 271, 343, 223, 20, 13, 20, 33, 2, 201]],
  ['Héllo  wörld! 日本語 🙂\n\n  tabs\there',
    [42, 130, 105, 78, 78, 81, 223, 223, 89, 130, 117, 84, 78, 70, 3, 223, 165, 248, 101, 165, 253, 108, 167, 106,
      255, 223, 175, 256, 250, 227, 201, 201, 223, 260, 67, 68, 85, 200, 262, 259]],
  ["it's THEY'LL don't 12345", [75, 86, 9, 85, 223, 54, 42, 39, 59, 9, 46, 46, 223, 70, 81, 80, 9, 86, 223, 19, 20, 21, 22, 23]],
];

describe('TextCodec.encode / decode', () => {
  it.each(PYTHON_IDS)('encodes %j like Python tokenizers', (text, ids) => {
    expect(codec.encode(text)).toEqual(ids);
  });

  it('round-trips text through decode, with and without special tokens', () => {
    for (const [text] of PYTHON_IDS.slice(1)) expect(codec.decode(codec.encode(text))).toBe(text);
    const chat = PYTHON_IDS[0][0];
    expect(codec.decode(codec.encode(chat), false)).toBe(chat);
    expect(codec.decode(codec.encode(chat))).toBe('user\nHi there, what is 2+2?\n');
  });

  it('does not clean up spaces before punctuation (Python tokenizers does not)', () => {
    expect(codec.decode(codec.encode("a , b . c ! it 's"))).toBe("a , b . c ! it 's");
  });

  it('decodes the golden understanding answers, dropping ids beyond the vocabulary', () => {
    for (const turn of meta.understanding.turns) expect(codec.decode(turn.greedy_ids)).toBe(turn.text);
    expect(codec.decode([])).toBe('');
    expect(codec.decode([502, 511])).toBe('');
  });

  it('knows the special tokens', () => {
    expect(codec.specialId('<|im_start|>')).toBe(1);
    expect(codec.padId).toBe(2);
    expect([...codec.stopIds].sort()).toEqual([0, 2]);
    expect(() => codec.specialId('<|nope|>')).toThrow(/tokenizer has no "<\|nope\|>" token/);
  });
});

describe('TextCodec.generationPrompts', () => {
  it.each(['cfg_constant', 'cfg_linear', 'no_cfg'])('equals the golden prompt ids and mask of %s', (name) => {
    const c = meta.cases[name];
    const cfg = c.settings.cfg !== 1;
    expect(codec.generationTexts(c.prompts, cfg)).toEqual(c.prompt_text);
    const g = codec.generationPrompts(c.prompts, cfg);
    const ids = rows(`${name}/prompt_ids`);
    const mask = rows(`${name}/prompt_mask`);
    expect(g.ids.length).toBe(cfg ? 2 * c.prompts.length : c.prompts.length);
    expect(g.ids.map((r) => Array.from(r))).toEqual(ids);
    expect(g.mask.map((r) => Array.from(r))).toEqual(mask);
    expect(g.P).toBe(ids[0].length);
    expect(g.validLengths).toEqual(mask.map((r) => r.reduce((a, b) => a + b, 0)));
  });

  it('pads shorter rows with the pad token', () => {
    const g = codec.generationPrompts(['a red circle above a blue square'], true);
    expect(g.validLengths[1]).toBeLessThan(g.P);
    expect(Array.from(g.ids[1].subarray(g.validLengths[1]))).toEqual(Array(g.P - g.validLengths[1]).fill(codec.padId));
  });

  it('checks every prompt', () => {
    expect(() => codec.generationPrompts(['ok', ' \n\t'], true)).toThrow('the prompt is empty');
    expect(() => codec.generationPrompts([], true)).toThrow(/no prompts/);
  });
});

describe('TextCodec.questionPieces (turn layout of understand.py)', () => {
  it('splits the first turn around the image', () => {
    expect(codec.questionPieces('What is in the image?', true)).toEqual({
      withImage: true,
      before: [1, 87, 85, 276, 201],
      after: [201, 349, 343, 342, 265, 270, 33, 2, 201, 1, 67, 85, 85, 75, 85, 86, 299, 86, 201],
    });
  });

  it('closes the previous answer on later turns', () => {
    const text = [2, 201, 1, 87, 85, 276, 201, 293, 353, 365, 285, 286, 33, 2, 201, 1, 67, 85, 85, 75, 85, 86, 299, 86, 201];
    expect(codec.questionPieces('How many shapes are there?', false)).toEqual({ withImage: false, ids: text });
    expect(codec.questionPieces('How many shapes are there?', false, [207])).toEqual({ withImage: false, ids: [207, ...text] });
  });

  it('rejects an image placeholder in the question and an empty question', () => {
    expect(() => codec.questionPieces('what is <image>?', true)).toThrow(/must not contain <image>/);
    expect(() => codec.questionPieces('', false)).toThrow('the question is empty');
  });
});

describe('checkPrompt / formatTemplate', () => {
  it('matches Python check_prompt', () => {
    expect(() => checkPrompt('')).toThrow('the prompt is empty');
    expect(() => checkPrompt(' \u3000\x1c\x85')).toThrow('the prompt is empty');
    expect(checkPrompt('\ufeff')).toBe('\ufeff'); // not whitespace to Python
    expect(checkPrompt('x'.repeat(2000))).toHaveLength(2000);
    expect(() => checkPrompt('a\x00b')).toThrow('the prompt contains the control character U+0000 at position 1; remove it');
    expect(() => checkPrompt('\x1b[31mred')).toThrow(/U\+001B/);
    expect(checkPrompt('tab\tand\nlines\r\n')).toBe('tab\tand\nlines\r\n');
    expect(() => checkPrompt(42 as never)).toThrow('the prompt must be a string, got number');
    expect(() => checkPrompt(null as never)).toThrow('the prompt must be a string, got null');
    expect(() => checkPrompt('x'.repeat(2001))).toThrow('the prompt is 2001 characters long; the limit is 2000');
    // 2000 code points in 4000 UTF-16 units: within Python's limit
    expect(() => checkPrompt('🙂'.repeat(2000))).not.toThrow();
  });

  it('inserts values literally, handles {{ }} and unknown fields', () => {
    expect(formatTemplate('a {x} b', { x: '$& {y}' })).toBe('a $& {y} b');
    expect(formatTemplate('{{x}} {x}', { x: '1' })).toBe('{x} 1');
    expect(() => formatTemplate('{y}', { x: '1' })).toThrow(/\{y\} has no value/);
  });
});
