"""Image understanding: image → VAE → MAR encoder (nothing masked) → spliced into the chat prompt →
greedy decoding with the KV cache, with the package's repetition penalty (decoding.py), as the
official image2text does. A Conversation keeps its cache across turns (multi-turn chat)."""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from .decoding import penalize
from .model import IMAGE_PLACEHOLDER, PROMPT_TEMPLATE, Harmon
from .text import TextCodec, check_prompt

PAD_RGB = (127, 127, 127)


def prepare_image(img: Image.Image, size: int) -> torch.Tensor:
    """The official image2text's preprocessing: pad to a centred square with (127,127,127) (the
    offset floor((side − w)/2), floor((side − h)/2)), resize to size×size with PIL's bicubic (its
    `resize` default, antialiased when shrinking) → (1,3,S,S) in [-1,1]."""
    img = img.convert("RGB")
    w, h = img.size
    if w != h:
        side = max(w, h)
        canvas = Image.new("RGB", (side, side), PAD_RGB)
        canvas.paste(img, ((side - w) // 2, (side - h) // 2))
        img = canvas
    img = img.resize((size, size), Image.BICUBIC)
    x = torch.from_numpy(np.asarray(img, dtype=np.float32)).permute(2, 0, 1)[None]
    return 2 * (x / 255) - 1


@torch.no_grad()
def image_embeddings(model: Harmon, pixels: torch.Tensor, trace: dict | None = None) -> torch.Tensor:
    """(1,3,S,S) → (1, N + buffer, H) LLM embeddings: image tokens first, then the buffer slots."""
    tokens = model.encode_image(pixels)
    b, h, w, _ = tokens.shape
    mask = torch.zeros(b, h * w)
    x = model.mar.patch_embed(tokens.reshape(b, h * w, -1), mask, h, w)
    x_enc = model.mar.encoder_body(x)
    z = model.to_llm(x_enc)
    if trace is not None:
        trace.update(latents=tokens, patch_embed=x, x_enc=x_enc, image_embeds=z)
    return z


class Conversation:
    """One image, many questions. Turn t appends its tokens to the cached sequence.
    `repetition_penalty`: HF's, on the tokens generated in the current turn (1.0: plain greedy)."""

    def __init__(self, model: Harmon, codec: TextCodec, pixels: torch.Tensor, repetition_penalty: float = 1.0):
        if not repetition_penalty > 0:
            raise ValueError(f"repetition_penalty must be > 0, got {repetition_penalty}")
        self.model, self.codec = model, codec
        self.repetition_penalty = float(repetition_penalty)
        self.image_embeds = image_embeddings(model, pixels)
        self.cache = None
        self.length = 0        # tokens in the cache
        self.first = True
        self.unfed: list[int] = []  # the last answer token when a turn stopped at max_new_tokens

    @torch.no_grad()
    def _feed(self, embeds: torch.Tensor) -> torch.Tensor:
        L = embeds.shape[1]
        pos = torch.arange(self.length, self.length + L)[None]
        hid, self.cache = self.model.llm_forward(embeds, position_ids=pos, cache=self.cache)
        self.length += L
        return self.model.logits(hid[:, -1])

    def turn_embeddings(self, question: str) -> torch.Tensor:
        check_prompt(question)
        e = self.model.embed
        if self.first:
            text = PROMPT_TEMPLATE.format(input=IMAGE_PLACEHOLDER + "\n" + question)
            before, after = text.split(IMAGE_PLACEHOLDER)
            parts = [e(torch.tensor([self.codec.encode(before)])), self.image_embeds,
                     e(torch.tensor([self.codec.encode(after)]))]
            return torch.cat(parts, dim=1)
        # the previous answer's end (its <|im_end|>, and its last token if it was cut off) was never
        # fed: close that turn, then open this one
        text = "<|im_end|>\n" + PROMPT_TEMPLATE.format(input=question)
        return e(torch.tensor([self.unfed + self.codec.encode(text)]))

    @torch.no_grad()
    def ask(self, question: str, max_new_tokens: int = 256, trace: dict | None = None,
            on_token=None) -> list[int]:
        if max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be ≥ 1, got {max_new_tokens}")
        logits = self._feed(self.turn_embeddings(question))
        self.first, self.unfed = False, []
        if trace is not None:
            trace["first_logits"] = logits[0].clone()
        out: list[int] = []
        while True:
            # HF generate with inputs_embeds only: its input_ids hold just this turn's answer so far
            nxt = int(torch.argmax(penalize(logits[0], out, self.repetition_penalty)))
            if nxt in self.codec.stop_ids:
                break
            out.append(nxt)
            if on_token is not None:
                on_token(nxt)
            if len(out) >= max_new_tokens:
                self.unfed = [nxt]
                break
            logits = self._feed(self.model.embed(torch.tensor([[nxt]])))
        return out
