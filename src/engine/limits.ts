// Bounds of a request that the engine and the CLI share (the CLI checks them before it starts a
// browser): what a prompt or question may be, and the largest counts. Pure: no imports, so the
// CLI's parser stays light.

export const MAX_PROMPT_CHARS = 2000;
/** images per generate call */
export const MAX_IMAGES = 16;
/** MAR steps: a step beyond the token count predicts nothing; past this a typo (10⁶) would run for days. */
export const MAX_STEPS = 1024;
/** the answer length an ask may ask for (the model's context bounds it further) */
export const MAX_NEW_TOKENS = 4096;

// Python's str.isspace() set, so that "empty" means what the reference's check_prompt means (JS \s
// differs: it has U+FEFF and lacks U+001C–U+001F and U+0085).
const PY_SPACE = /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;
// C0 controls other than tab and line breaks, DEL and the C1 block: invisible in a text box, they
// are pasted by accident (a NUL from a binary file, an escape sequence from a terminal) and the
// model never saw them in training.
const CONTROL = /[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]/;

/** Why `text` cannot be a prompt (`what`: "prompt" or "question"), or undefined when it can. */
export function textProblem(text: unknown, what = 'prompt'): string | undefined {
  if (typeof text !== 'string') return `the ${what} must be a string, got ${text === null ? 'null' : typeof text}`;
  if (PY_SPACE.test(text)) return `the ${what} is empty`;
  const bad = CONTROL.exec(text);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return `the ${what} contains the control character U+${code} at position ${bad.index}; remove it`;
  }
  // Python counts code points; a JS string's length counts UTF-16 units
  let chars = 0;
  for (const _ of text) chars++;
  if (chars > MAX_PROMPT_CHARS) return `the ${what} is ${chars} characters long; the limit is ${MAX_PROMPT_CHARS}`;
  return undefined;
}
