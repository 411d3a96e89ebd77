// `generate --prompts` lines that name an "image" (and a "mask"): each prompt edits its own image,
// with the shared --image flags; lines without them stay plain prompts (args.test.ts has the rest).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand, parsePromptsJsonl, type GenerateCommand } from './args';
import { usageMessage } from './usage-testing';

let tmp: string;
let cwd: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'harmon-prompts-source-'));
  cwd = path.join(tmp, 'work');
  mkdirSync(path.join(cwd, 'pkg'), { recursive: true });
  writeFileSync(path.join(cwd, 'pkg', 'manifest.json'), JSON.stringify({ name: 'fake' }));
  mkdirSync(path.join(cwd, 'set', 'scenes'), { recursive: true });
  writeFileSync(path.join(cwd, 'set', 'scenes', 'a.png'), 'scene a');
  writeFileSync(path.join(cwd, 'set', 'scenes', 'm.png'), 'mask a');
  writeFileSync(path.join(cwd, 'img.png'), 'an image');
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function prompts(text: string): string {
  writeFileSync(path.join(cwd, 'set', 'p.jsonl'), text);
  return 'set/p.jsonl';
}

const gen = (...args: string[]) =>
  parseCommand(['generate', '--model', 'pkg', ...args], { root: path.join(tmp, 'repo'), cwd }) as GenerateCommand;

const genErr = (...args: string[]) => usageMessage(() => gen(...args));

const EDIT = '{"prompt": "a red circle and a blue star", "image": "scenes/a.png", "mask": "scenes/m.png", "tag": "inpaint_seen"}';
const PLAIN = '{"prompt": "two cats", "tag": "counting"}';

describe('--prompts lines with "image" and "mask"', () => {
  it('reads each line\'s image and mask relative to the file, with the shared --image flags', () => {
    const c = gen('--prompts', prompts(`${EDIT}\n${PLAIN}\n{"prompt": "a star", "image": "scenes/a.png"}\n`), '--out', 'o',
      '--keep-pixels', '--grow-mask', '--strength', '0.5');
    expect(c.source).toBeUndefined();
    const [edit, plain, unmasked] = c.prompts;
    expect([edit.prompt, edit.line, edit.lineNumber, edit.image, edit.mask]).toEqual(['a red circle and a blue star', EDIT, 1, 'scenes/a.png', 'scenes/m.png']);
    expect(Buffer.from(edit.source!.image.bytes).toString()).toBe('scene a');
    expect(Buffer.from(edit.source!.mask!.bytes).toString()).toBe('mask a');
    expect(edit.source!.keepPixels).toBe(true);
    expect(plain).toEqual({ prompt: 'two cats', line: PLAIN, lineNumber: 2 }); // no source: a plain prompt
    expect(unmasked.source!.mask).toBeUndefined();
    expect([c.options.strength, c.options.growMask]).toEqual([0.5, true]);
  });

  it('lines without them parse exactly as before', () => {
    expect(parsePromptsJsonl(`${PLAIN}\n`, 'f')).toEqual([{ prompt: 'two cats', line: PLAIN, lineNumber: 1 }]);
    const c = gen('--prompts', prompts(`${PLAIN}\n`), '--out', 'o', '--image', 'img.png', '--keep-pixels');
    expect(c.prompts[0].source).toBeUndefined();
    expect(c.source!.image.name).toBe('img.png'); // --image: one source for every prompt, as before
    expect(genErr('--prompts', prompts(`${PLAIN}\n`), '--out', 'o', '--keep-pixels')).toBe('--keep-pixels needs --image FILE (the source image)');
  });

  it('bad fields and files say which line', () => {
    const bad = (line: string) => genErr('--prompts', prompts(`${PLAIN}\n${line}\n`), '--out', 'o');
    expect(bad('{"prompt": "x", "image": 3}')).toBe('set/p.jsonl line 2: "image" must be a file name (a non-empty string)');
    expect(bad('{"prompt": "x", "image": "scenes/a.png", "mask": " "}')).toBe('set/p.jsonl line 2: "mask" must be a file name (a non-empty string)');
    expect(bad('{"prompt": "x", "mask": "scenes/m.png"}')).toBe('set/p.jsonl line 2: "mask" needs an "image" (the source the mask marks)');
    expect(bad('{"prompt": "x", "image": "scenes/nope.png"}')).toBe('set/p.jsonl line 2: --image scenes/nope.png: file not found');
  });

  it('flags that name one source or one token layout for all prompts are refused', () => {
    const f = prompts(`${EDIT}\n`);
    const lines = '--prompts lines that name an "image" (set/p.jsonl line 1)';
    expect(genErr('--prompts', f, '--out', 'o', '--image', 'img.png')).toBe(`--image cannot be used with ${lines}: each line names its own`);
    expect(genErr('--prompts', f, '--out', 'o', '--mask', 'img.png')).toBe(`--mask cannot be used with ${lines}: give each line its own "mask"`);
    expect(genErr('--prompts', f, '--out', 'o', '--orders', 'img.png')).toBe(`--orders cannot be used with ${lines}: each line has its own unknown tokens`);
    expect(genErr('--prompts', f, '--out', 'o', '--strength', '2')).toBe('--strength must be a number in (0, 1] (got "2")');
  });
});
