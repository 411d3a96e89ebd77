// The engine's fixed limits, defined once: the CLI, the demo and the widget check the same numbers
// before anything runs (options.ts builds their messages from them).

/** Longest prompt or question, in characters (code points, as the reference's check_prompt counts). */
export const MAX_PROMPT_CHARS = 2000;

/** Most images one generate() request draws (n). */
export const MAX_IMAGES = 16;

/** The VAE stride (image side / token grid side) of every Harmon package: KL-16. Text surfaces check
 * sizes against it before a model is loaded; the engine checks against the loaded model's own
 * (vaeStride), which is this for every package the converter writes. */
export const STRIDE = 16;

/** Latent channels per token. */
export const TOKEN_DIM = 16;

/** The VAE stride of a model config: one halving per level after the first. */
export function vaeStride(config: { vae: { ch_mult: readonly number[] } }): number {
  return 2 ** (config.vae.ch_mult.length - 1);
}

// Python's str.isspace() set, so that "empty" means what check_prompt means (JS \s differs:
// it has U+FEFF and lacks U+001C–U+001F and U+0085).
const PY_SPACE = /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;

// C0 controls other than tab and line breaks, DEL and the C1 block: invisible in a text box, they
// are pasted by accident (a NUL from a binary file, an escape sequence from a terminal) and the
// model never saw them in training.
const CONTROL = /[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]/;

/** What is wrong with a prompt or question (`what` names it), or undefined: not a string, empty /
 * blank, a control character, or over MAX_PROMPT_CHARS characters (code points: a JS string's
 * length counts UTF-16 units). The reference's check_prompt (models/harmon/text.py) says the same. */
export function textProblem(text: unknown, what = 'prompt'): string | undefined {
  if (typeof text !== 'string') return `the ${what} must be a string, got ${text === null ? 'null' : typeof text}`;
  if (PY_SPACE.test(text)) return `the ${what} is empty`;
  const bad = CONTROL.exec(text);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return `the ${what} contains the control character U+${code} at position ${bad.index}; remove it`;
  }
  const chars = [...text].length;
  if (chars > MAX_PROMPT_CHARS) return `the ${what} is ${chars} characters long; the limit is ${MAX_PROMPT_CHARS}`;
  return undefined;
}
