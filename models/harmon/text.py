"""Tokenizer (Hugging Face `tokenizers`, from the package's tokenizer.json) and prompt building."""
from __future__ import annotations

import re
from pathlib import Path

import torch
from tokenizers import Tokenizer

from .model import GENERATE_INPUT, PAD_TOKEN, PROMPT_TEMPLATE, STOP_TOKENS, UNCONDITIONAL_INPUT

MAX_PROMPT_CHARS = 2000


class TextCodec:
    def __init__(self, tokenizer: Tokenizer):
        self.tok = tokenizer
        self.pad_id = self.special_id(PAD_TOKEN)
        self.stop_ids = {self.special_id(t) for t in STOP_TOKENS}

    @classmethod
    def from_file(cls, path: str | Path) -> "TextCodec":
        return cls(Tokenizer.from_file(str(path)))

    def special_id(self, token: str) -> int:
        i = self.tok.token_to_id(token)
        if i is None:
            raise ValueError(f"tokenizer has no {token!r} token")
        return i

    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text, add_special_tokens=False).ids

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(ids, skip_special_tokens=True)

    def generation_prompts(self, prompts: list[str], cfg: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Conditional rows (one per prompt) then, with CFG, one unconditional row per prompt;
        right-padded to one length. Returns (ids, attention_mask), both (B, P) int64."""
        rows = [PROMPT_TEMPLATE.format(input=GENERATE_INPUT.format(prompt=check_prompt(p))) for p in prompts]
        if cfg:
            rows += [PROMPT_TEMPLATE.format(input=UNCONDITIONAL_INPUT)] * len(prompts)
        enc = [self.encode(r) for r in rows]
        P = max(len(e) for e in enc)
        ids = torch.full((len(enc), P), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(enc), P), dtype=torch.long)
        for i, e in enumerate(enc):
            ids[i, : len(e)] = torch.tensor(e)
            mask[i, : len(e)] = 1
        return ids, mask


# C0 controls other than tab and line breaks, DEL and C1 (as src/engine/limits.ts): pasted by
# accident, never seen in training.
_CONTROL = re.compile("[\\x00-\\x08\\x0e-\\x1b\\x7f-\\x84\\x86-\\x9f]")


def check_prompt(p: str) -> str:
    if not isinstance(p, str):
        raise ValueError(f"the prompt must be a string, got {'null' if p is None else type(p).__name__}")
    if not p.strip():
        raise ValueError("the prompt is empty")
    bad = _CONTROL.search(p)
    if bad:
        raise ValueError(f"the prompt contains the control character U+{ord(bad.group()):04X} at position {bad.start()}; remove it")
    if len(p) > MAX_PROMPT_CHARS:
        raise ValueError(f"the prompt is {len(p)} characters long; the limit is {MAX_PROMPT_CHARS}")
    return p
