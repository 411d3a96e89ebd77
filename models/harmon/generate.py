"""Text-to-image: the masked-autoregressive loop, written out plainly (DESIGN.md §2).

Everything random comes in as tensors (`orders`, `noise`) so that a run can be replayed exactly by
the engine; `seeded_inputs` makes them from a seed. An optional `trace` dict records intermediates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .model import Harmon
from .sampler import make_schedule, sample_tokens
from .text import TextCodec


@dataclass
class GenerateSettings:
    steps: int = 64                 # MAR iterations K
    cfg: float = 3.0
    cfg_schedule: str = "constant"  # or "linear"
    temperature: float = 1.0
    sampling_steps: int = 100       # diffusion steps S
    size: int = 256                 # image side in pixels

    def check(self, stride: int) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be ≥ 1, got {self.steps}")
        if self.cfg_schedule not in ("constant", "linear"):
            raise ValueError(f"cfg schedule must be 'constant' or 'linear', got {self.cfg_schedule!r}")
        if not (self.cfg >= 1.0 and math.isfinite(self.cfg)):
            raise ValueError(f"cfg must be a finite number ≥ 1, got {self.cfg}")
        if not (self.temperature >= 0 and math.isfinite(self.temperature)):
            raise ValueError(f"temperature must be a finite number ≥ 0, got {self.temperature}")
        make_schedule(self.sampling_steps)  # validates the range
        if self.size <= 0 or self.size % stride:
            raise ValueError(f"size must be a positive multiple of {stride}, got {self.size}")


def mask_lengths(n_tokens: int, steps: int) -> list[int]:
    """How many tokens stay masked after each step (the official clamping, known up front)."""
    out, masked = [], n_tokens
    for k in range(steps):
        ml = math.floor(n_tokens * np.cos(math.pi / 2.0 * (k + 1) / steps))
        ml = max(1, min(masked - 1, ml))
        out.append(ml)
        masked = ml
    return out


def cfg_at(settings: GenerateSettings, n_tokens: int, mask_len: int) -> float:
    """Guidance scale of one step, as a float32 value (the official code computes it in float32)."""
    if settings.cfg_schedule == "linear":
        f = np.float32
        return float(f(1) + f(settings.cfg - 1) * (f(n_tokens) - f(mask_len)) / f(n_tokens))
    return float(np.float32(settings.cfg))


def seeded_inputs(seed: int, n: int, n_tokens: int, sampling_steps: int):
    g = torch.Generator().manual_seed(seed)
    orders = torch.stack([torch.randperm(n_tokens, generator=g) for _ in range(n)])
    noise = torch.randn(n, n_tokens, sampling_steps + 1, 16, generator=g)
    return orders, noise


@torch.no_grad()
def prefill(model: Harmon, ids: torch.Tensor):
    """Run the prompt once (causal only: right padding never reaches a valid token) → KV cache."""
    _, cache = model.llm_forward(model.embed(ids))
    return cache


@torch.no_grad()
def mar_step(model: Harmon, tokens, mask, prompt_mask, cache, h: int, w: int, trace=None):
    """Encoder → LLM (over the cached prompt) → decoder, on the current tokens: z (B, N, D')."""
    P = prompt_mask.shape[1]
    x = model.mar.patch_embed(tokens, mask, h, w)
    x_enc = model.mar.encoder_body(x)
    z_enc = model.to_llm(x_enc)
    L = z_enc.shape[1]
    attn = torch.cat([prompt_mask, prompt_mask.new_ones(prompt_mask.shape[0], L)], dim=1)
    pos = (attn.cumsum(1) - 1).clamp(min=0)[:, -L:]
    hid, cache = model.llm_forward(z_enc, attention_mask=attn, position_ids=pos, cache=cache)
    cache.crop(-(cache.get_seq_length() - P))  # the image tokens must not stay in the prompt cache
    x_dec = model.from_llm(x_enc, hid)
    z = model.mar.forward_decoder(x_dec, mask, h, w)
    if trace is not None:
        trace.update(mask=mask.clone(), patch_embed=x, x_enc=x_enc, z_enc=z_enc, attention_mask=attn, position_ids=pos,
                     llm_hidden=hid, x_dec=x_dec, z=z)
    return z


@torch.no_grad()
def generate_latents(model: Harmon, codec: TextCodec, prompts: list[str], settings: GenerateSettings,
                     orders: torch.Tensor, noise: torch.Tensor, trace: dict | None = None,
                     on_step=None) -> torch.Tensor:
    """prompts (n) with orders (n, N) and noise (n, N, S+1, 16) → latents (n, h, w, 16)."""
    settings.check(model.cfg.vae.stride)
    n = len(prompts)
    g = settings.size // model.cfg.vae.stride
    N, S = g * g, settings.sampling_steps
    if orders.shape != (n, N):
        raise ValueError(f"orders must have shape ({n}, {N}), got {tuple(orders.shape)}")
    if noise.shape != (n, N, S + 1, 16):
        raise ValueError(f"noise must have shape ({n}, {N}, {S + 1}, 16), got {tuple(noise.shape)}")
    guided = settings.cfg != 1.0
    ids, prompt_mask = codec.generation_prompts(prompts, guided)
    B = ids.shape[0]
    rows = torch.cat([orders, orders]) if guided else orders
    cache = prefill(model, ids)
    sched = make_schedule(S)

    tokens = torch.zeros(B, N, 16)
    mask = torch.ones(B, N)
    used = torch.zeros(n, dtype=torch.long)   # noise slots consumed per image
    lens = mask_lengths(N, settings.steps)
    if trace is not None:
        trace.update(prompt_ids=ids, prompt_mask=prompt_mask, mask_lengths=lens, steps=[])
    for k in range(settings.steps):
        step_trace = {} if trace is not None else None
        z = mar_step(model, tokens, mask, prompt_mask, cache, g, g, step_trace)
        mask_next = torch.zeros(B, N)
        mask_next.scatter_(1, rows[:, : lens[k]], 1.0)
        to_pred = mask.bool() if k == settings.steps - 1 else mask.bool() & ~mask_next.bool()
        cnt = int(to_pred[0].sum())
        # noise rows in prediction order: image by image, token index ascending within a step
        step_noise = torch.cat([noise[b, used[b]: used[b] + cnt] for b in range(n)])
        used += cnt
        cfg_k = cfg_at(settings, N, lens[k])
        head_trace = [] if trace is not None else None
        new = sample_tokens(model.mar.diffloss.net, z[to_pred], step_noise, sched, cfg_k,
                            settings.temperature, head_trace)
        tokens[to_pred] = new
        if guided:  # the unconditional rows follow the conditional ones (as the official loop does)
            tokens[n:] = tokens[:n]
        mask = mask_next if k < settings.steps - 1 else torch.zeros(B, N)
        if trace is not None:
            step_trace.update(to_pred=to_pred, cfg=cfg_k, tokens=tokens.clone(), head=head_trace)
            trace["steps"].append(step_trace)
        if on_step is not None:
            on_step(k, tokens[:n])
    return tokens[:n].reshape(n, g, g, 16)


def to_bytes(pixels: torch.Tensor) -> np.ndarray:
    """(B,3,H,W) in [-1,1] → (B,H,W,3) uint8, clamp(127.5·x + 128)."""
    return torch.clamp(127.5 * pixels + 128.0, 0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
