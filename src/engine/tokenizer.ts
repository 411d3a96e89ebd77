// Text ↔ token ids and the prompts Harmon is conditioned on, mirroring models/harmon/text.py
// (TextCodec, check_prompt) and the turn layout of models/harmon/understand.py (Conversation).
// Tokenization itself is Hugging Face's JS port (@huggingface/tokenizers) reading the package's
// tokenizer.json, so ids equal Python `tokenizers` ids.

import { Tokenizer } from '@huggingface/tokenizers';
import { EngineError } from './errors';
import { textProblem } from './limits';
import type { LoadedPackage, PromptConfig } from './package';

export interface GenerationPrompts {
  /** one row per sequence, right-padded with the pad token to length P */
  ids: Int32Array[];
  /** 1 for a prompt token, 0 for padding */
  mask: Int32Array[];
  P: number;
  validLengths: number[];
}

/** Token ids of one understanding turn, in feeding order. */
export type TurnPieces =
  /** first turn: `before`, then the image embeddings, then `after` */
  | { withImage: true; before: number[]; after: number[] }
  /** later turns: text only (closes the previous answer, then asks) */
  | { withImage: false; ids: number[] };

/** Rejects an empty / blank prompt, one over MAX_PROMPT_CHARS, control characters and non-strings
 * (limits.ts); `what` names it in the message. */
export function checkPrompt(p: string, what = 'prompt'): string {
  const problem = textProblem(p, what);
  if (problem) throw new EngineError(problem);
  return p;
}

/**
 * Python str.format for the manifest's templates: `{name}` fields and `{{` `}}` escapes. Values are
 * inserted literally (String.replace with a string would expand `$&` in user text).
 */
export function formatTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{|\}\}|\{(\w*)\}/g, (m, key: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const v = values[key ?? ''];
    if (v === undefined) throw new Error(`prompt template field {${key}} has no value`);
    return v;
  });
}

export class TextCodec {
  readonly padId: number;
  readonly stopIds: ReadonlySet<number>;

  constructor(
    private readonly tok: Tokenizer,
    readonly prompts: PromptConfig,
  ) {
    this.padId = this.specialId(prompts.pad_token);
    this.stopIds = new Set(prompts.stop_tokens.map((t) => this.specialId(t)));
  }

  /** From tokenizer.json / tokenizer_config.json contents and the manifest's prompt section. */
  static fromJson(tokenizerJson: object, tokenizerConfig: object, prompts: PromptConfig): TextCodec {
    // Python `tokenizers` (the reference) decodes without transformers' space clean-up and treats
    // as special exactly the added tokens flagged so in tokenizer.json; the JS library defaults the
    // clean-up on and also counts the config's additional_special_tokens, so both are overridden.
    const config = { ...tokenizerConfig, clean_up_tokenization_spaces: false, additional_special_tokens: [] };
    return new TextCodec(new Tokenizer(tokenizerJson, config), prompts);
  }

  static fromPackage(pkg: Pick<LoadedPackage, 'manifest' | 'text'>): TextCodec {
    return TextCodec.fromJson(JSON.parse(pkg.text('tokenizer.json')), JSON.parse(pkg.text('tokenizer_config.json')),
      pkg.manifest.prompts);
  }

  /** Ids of `text` with no special tokens added; special tokens written in the text are recognised. */
  encode(text: string): number[] {
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[], skipSpecial = true): string {
    // like the Rust tokenizer, ids outside the vocabulary (the LM head is wider) are dropped;
    // the JS library would otherwise throw on an empty list
    const known = ids.filter((i) => this.tok.id_to_token(i) !== undefined);
    if (known.length === 0) return '';
    return this.tok.decode(known, { skip_special_tokens: skipSpecial, clean_up_tokenization_spaces: false });
  }

  specialId(token: string): number {
    const id = this.tok.token_to_id(token);
    if (id === undefined) throw new Error(`tokenizer has no ${JSON.stringify(token)} token`);
    return id;
  }

  /** The chat texts of generationPrompts: conditional rows, then (cfg) one unconditional row per prompt. */
  generationTexts(prompts: string[], cfg: boolean): string[] {
    const { template, generate, unconditional } = this.prompts;
    const rows = prompts.map((p) => formatTemplate(template, { input: formatTemplate(generate, { prompt: checkPrompt(p) }) }));
    if (cfg) rows.push(...prompts.map(() => formatTemplate(template, { input: unconditional })));
    return rows;
  }

  /** Text-to-image prompt rows, right-padded to one length (Python TextCodec.generation_prompts). */
  generationPrompts(prompts: string[], cfg: boolean): GenerationPrompts {
    if (prompts.length === 0) throw new Error('no prompts given');
    const enc = this.generationTexts(prompts, cfg).map((t) => this.encode(t));
    const P = Math.max(...enc.map((e) => e.length));
    const ids = enc.map((e) => {
      const row = new Int32Array(P).fill(this.padId);
      row.set(e);
      return row;
    });
    const mask = enc.map((e) => new Int32Array(P).fill(1, 0, e.length));
    return { ids, mask, P, validLengths: enc.map((e) => e.length) };
  }

  /**
   * Token ids of one understanding turn (Python Conversation.turn_embeddings). A later turn first
   * closes the previous answer, whose end was never fed: `unfedIds` is its last token when the
   * answer stopped at the token limit, then "<|im_end|>\n".
   */
  questionPieces(question: string, firstTurn: boolean, unfedIds: readonly number[] = []): TurnPieces {
    checkPrompt(question, 'question');
    const { template, image_placeholder: placeholder } = this.prompts;
    if (firstTurn) {
      const text = formatTemplate(template, { input: `${placeholder}\n${question}` });
      const parts = text.split(placeholder);
      if (parts.length !== 2) throw new Error(`the question must not contain ${placeholder}`);
      return { withImage: true, before: this.encode(parts[0]), after: this.encode(parts[1]) };
    }
    const text = '<|im_end|>\n' + formatTemplate(template, { input: question });
    return { withImage: false, ids: [...unfedIds, ...this.encode(text)] };
  }
}
