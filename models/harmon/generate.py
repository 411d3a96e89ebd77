"""Text-to-image and partly known images: the masked-autoregressive loop, written out plainly
(DESIGN.md §2).

Everything random comes in as tensors (`orders`, `noise`) so that a run can be replayed exactly by
the engine; `seeded_inputs` makes them from a seed. An optional `trace` dict records intermediates.

The orders say which tokens are generated: per image, the u tokens to generate in the order MAR
masks them (row-major indices of the gh×gw grid). For text-to-image they are a permutation of all N
tokens; for a partly known image (canvas.py) a permutation of its unknown tokens, and every other
token is known: taken from `known` (the VAE-encoded canvas), seen from step 0 by both CFG rows, and
never rewritten. The schedule runs over u instead of N.

The diffusion head runs S sampling steps per token at every MAR step, or with `preset="fast"` S_k at
MAR step k (head-step annealing, sampler.fast_sampling_steps). The noise is one stream per image:
its tokens in prediction order, each with S_k + 1 slots of 16 (DESIGN.md §6).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .model import Harmon
from .sampler import PRESETS, fast_sampling_steps, make_schedule, sample_tokens
from .text import TextCodec


@dataclass
class GenerateSettings:
    steps: int = 64                 # MAR iterations K
    cfg: float = 3.0
    cfg_schedule: str = "constant"  # or "linear"
    temperature: float = 1.0
    # diffusion steps S at every MAR step; None: 100 (the official value), or with the fast preset its
    # own S_k (an explicit S with it is an error, as in the engine)
    sampling_steps: int | None = None
    size: int = 256                 # image side in pixels (a square canvas)
    width: int | None = None        # canvas width in pixels (default: size)
    height: int | None = None       # canvas height in pixels (default: size)
    preset: str | None = None       # None / "default": S everywhere; "fast": head-step annealing

    def canvas(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return (self.size if self.width is None else self.width, self.size if self.height is None else self.height)

    @property
    def fast(self) -> bool:
        return self.preset == "fast"

    def head_steps(self) -> list[int]:
        """S_k, the diffusion sampling steps of every MAR step k."""
        if self.fast:
            return fast_sampling_steps(self.steps)
        return [100 if self.sampling_steps is None else self.sampling_steps] * self.steps

    def grid(self, stride: int) -> tuple[int, int]:
        """(gh, gw): the token grid's height and width."""
        w, h = self.canvas()
        return h // stride, w // stride

    def to_dict(self) -> dict:
        """The settings without the canvas fields that do not apply (the golden vectors' form): a
        square canvas has `size` only, a width × height canvas no `size`."""
        d = {k: v for k, v in vars(self).items() if v is not None}
        if self.width is not None and self.height is not None:
            del d["size"]
        return d

    def check(self, stride: int) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be ≥ 1, got {self.steps}")
        if self.cfg_schedule not in ("constant", "linear"):
            raise ValueError(f"cfg schedule must be 'constant' or 'linear', got {self.cfg_schedule!r}")
        if not (self.cfg >= 1.0 and math.isfinite(self.cfg)):
            raise ValueError(f"cfg must be a finite number ≥ 1, got {self.cfg}")
        if not (self.temperature >= 0 and math.isfinite(self.temperature)):
            raise ValueError(f"temperature must be a finite number ≥ 0, got {self.temperature}")
        if self.preset is not None and self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {', '.join(PRESETS)}, got {self.preset!r}")
        if self.fast and self.sampling_steps is not None:
            raise ValueError("the fast preset sets the sampling steps per MAR step (50 → 5): "
                             f"leave sampling_steps unset, got {self.sampling_steps}")
        for S in set(self.head_steps()):
            make_schedule(S)  # validates the range
        if self.size <= 0 or self.size % stride:
            raise ValueError(f"size must be a positive multiple of {stride}, got {self.size}")
        for name, v in (("width", self.width), ("height", self.height)):
            if v is not None and (v <= 0 or v % stride):
                raise ValueError(f"{name} must be a positive multiple of {stride}, got {v}")


def mask_lengths(n_tokens: int, steps: int) -> list[int]:
    """How many tokens stay masked after each step (the official clamping, known up front)."""
    out, masked = [], n_tokens
    for k in range(steps):
        ml = math.floor(n_tokens * np.cos(math.pi / 2.0 * (k + 1) / steps))
        ml = max(1, min(masked - 1, ml))
        out.append(ml)
        masked = ml
    return out


def predicted_counts(n_tokens: int, steps: int) -> list[int]:
    """How many tokens each step predicts (the same for every image): those masked before it and not
    after it; the last step predicts every token still masked."""
    out, masked = [], n_tokens
    for k, ml in enumerate(mask_lengths(n_tokens, steps)):
        out.append(masked if k == steps - 1 else masked - ml)
        masked = ml
    return out


def noise_slots(settings: GenerateSettings, n_tokens: int) -> int:
    """Noise slots of 16 per image: Σ over the u generated tokens of S_k + 1, k the step that
    predicts the token (u·(S+1) at one S)."""
    return sum(c * (S + 1) for c, S in zip(predicted_counts(n_tokens, settings.steps), settings.head_steps()))


def noise_shape(settings: GenerateSettings, n: int, n_tokens: int) -> tuple[int, ...]:
    """The injected noise: (n, u, S+1, 16) at one S; with the fast preset (n, slots, 16), a token's
    S_k + 1 slots one after another in prediction order (DESIGN.md §6)."""
    if settings.fast:
        return (n, noise_slots(settings, n_tokens), 16)
    return (n, n_tokens, settings.head_steps()[0] + 1, 16)


def cfg_at(settings: GenerateSettings, n_tokens: int, mask_len: int) -> float:
    """Guidance scale of one step, as a float32 value (the official code computes it in float32).
    `n_tokens` is the number of tokens generated (N, or u for a partly known image)."""
    if settings.cfg_schedule == "linear":
        f = np.float32
        return float(f(1) + f(settings.cfg - 1) * (f(n_tokens) - f(mask_len)) / f(n_tokens))
    return float(np.float32(settings.cfg))


def seeded_inputs(seed: int, n: int, n_tokens: int, sampling_steps: int | GenerateSettings,
                  candidates: torch.Tensor | None = None, count: int | None = None):
    """orders (n, u) and noise from a seed: (n, u, S+1, 16) for an S, or given the settings their
    `noise_shape` (the fast preset's layout). Without `candidates`: permutations of all n_tokens
    tokens. With them (the tokens that may be generated, canvas.py): per image the first `count`
    (default all) of a random permutation of the candidates — for variations this both chooses the
    tokens and orders them."""
    g = torch.Generator().manual_seed(seed)
    if candidates is None:
        orders = torch.stack([torch.randperm(n_tokens, generator=g) for _ in range(n)])
    else:
        u = len(candidates) if count is None else count
        orders = torch.stack([candidates[torch.randperm(len(candidates), generator=g)[:u]] for _ in range(n)])
    u = orders.shape[1]
    shape = (noise_shape(sampling_steps, n, u) if isinstance(sampling_steps, GenerateSettings)
             else (n, u, sampling_steps + 1, 16))
    noise = torch.randn(*shape, generator=g)
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


def check_orders(orders: torch.Tensor, n: int, n_tokens: int, partial: bool) -> int:
    """Orders (n, u): per image u distinct token indices (all N of them unless `partial`). → u."""
    if orders.dim() != 2 or orders.shape[0] != n or not (orders.shape[1] == n_tokens or partial):
        raise ValueError(f"orders must have shape ({n}, {n_tokens}){'' if partial else ' without known tokens'}, "
                         f"got {tuple(orders.shape)}")
    u = orders.shape[1]
    if not 1 <= u <= n_tokens:
        raise ValueError(f"orders must list between 1 and {n_tokens} tokens per image, got {u}")
    for b, row in enumerate(orders.tolist()):
        if len(set(row)) != u or min(row) < 0 or max(row) >= n_tokens:
            raise ValueError(f"orders[{b}] must list {u} distinct token indices in 0…{n_tokens - 1}")
    return u


@torch.no_grad()
def generate_latents(model: Harmon, codec: TextCodec, prompts: list[str], settings: GenerateSettings,
                     orders: torch.Tensor, noise: torch.Tensor, trace: dict | None = None,
                     on_step=None, known: torch.Tensor | None = None) -> torch.Tensor:
    """prompts (n) with orders (n, u) and noise (`noise_shape`: (n, u, S+1, 16), or the fast
    preset's (n, slots, 16)) → latents (n, gh, gw, 16).

    Text-to-image: u = N, `known` None. A partly known image: `known` (gh, gw, 16) holds the canvas's
    latents; the tokens not in an image's order are known, the others start masked (their values in
    `known` are never read)."""
    settings.check(model.cfg.vae.stride)
    n = len(prompts)
    gh, gw = settings.grid(model.cfg.vae.stride)
    N = gh * gw
    u = check_orders(orders, n, N, known is not None)
    if known is not None and known.shape != (gh, gw, 16):
        raise ValueError(f"known latents must have shape ({gh}, {gw}, 16), got {tuple(known.shape)}")
    want = noise_shape(settings, n, u)
    if tuple(noise.shape) != want:
        raise ValueError(f"noise must have shape {want}, got {tuple(noise.shape)}")
    # both layouts as one stream of 16-wide slots per image, read front to back
    stream = noise.reshape(n, -1, 16)
    guided = settings.cfg != 1.0
    ids, prompt_mask = codec.generation_prompts(prompts, guided)
    B = ids.shape[0]
    rows = torch.cat([orders, orders]) if guided else orders
    cache = prefill(model, ids)
    head_steps = settings.head_steps()
    scheds = {S: make_schedule(S) for S in set(head_steps)}

    # the tokens to generate start masked; known tokens are in place (and seen) from the start
    mask = torch.zeros(B, N).scatter_(1, rows, 1.0)
    tokens = torch.zeros(B, N, 16)
    if known is not None:
        tokens = torch.where(mask.bool()[..., None], tokens, known.reshape(1, N, 16))
    used = 0   # noise slots consumed per image (the same count for every image)
    lens = mask_lengths(u, settings.steps)
    if trace is not None:
        trace.update(prompt_ids=ids, prompt_mask=prompt_mask, mask_lengths=lens, steps=[])
    for k in range(settings.steps):
        step_trace = {} if trace is not None else None
        z = mar_step(model, tokens, mask, prompt_mask, cache, gh, gw, step_trace)
        mask_next = torch.zeros(B, N)
        mask_next.scatter_(1, rows[:, : lens[k]], 1.0)
        to_pred = mask.bool() if k == settings.steps - 1 else mask.bool() & ~mask_next.bool()
        cnt = int(to_pred[0].sum())
        # noise in prediction order: image by image, token index ascending within a step, S_k + 1
        # slots per token
        S = head_steps[k]
        step_noise = torch.cat([stream[b, used: used + cnt * (S + 1)].reshape(cnt, S + 1, 16) for b in range(n)])
        used += cnt * (S + 1)
        cfg_k = cfg_at(settings, u, lens[k])
        head_trace = [] if trace is not None else None
        new = sample_tokens(model.mar.diffloss.net, z[to_pred], step_noise, scheds[S], cfg_k,
                            settings.temperature, head_trace)
        tokens[to_pred] = new
        if guided:  # the unconditional rows follow the conditional ones (as the official loop does)
            tokens[n:] = tokens[:n]
        mask = mask_next if k < settings.steps - 1 else torch.zeros(B, N)
        if trace is not None:
            step_trace.update(to_pred=to_pred, cfg=cfg_k, sampling_steps=S, tokens=tokens.clone(), head=head_trace)
            trace["steps"].append(step_trace)
        if on_step is not None:
            on_step(k, tokens[:n])
    return tokens[:n].reshape(n, gh, gw, 16)


def to_bytes(pixels: torch.Tensor) -> np.ndarray:
    """(B,3,H,W) in [-1,1] → (B,H,W,3) uint8, clamp(127.5·x + 128)."""
    return torch.clamp(127.5 * pixels + 128.0, 0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
