"""Partly known images (DESIGN.md §2): inpainting, outpainting and variations by MAR masks.

A canvas of width × height pixels (multiples of 16) holds the source image at an offset (x, y) of
its top-left corner; canvas pixels the source does not cover are mid-grey (0.0 in [-1, 1]) and
masked. A pixel mask (canvas-sized, True = regenerate) adds to that. A token is UNKNOWN when any
pixel of its 16×16 patch is masked (with `grow`, also every token next to one, the 8 neighbours:
one token ring wider), KNOWN otherwise. The unknown tokens are the candidates; `strength` ∈ (0, 1]
regenerates u = max(1, floor(strength·c + 0.5)) of the c candidates (all tokens when nothing is
masked), chosen at random; without it u = c. The loop (generate.py) then takes orders over the
generated tokens only and keeps every other token exactly as the VAE encoded it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .generate import GenerateSettings, generate_latents, seeded_inputs
from .model import Harmon
from .text import TextCodec

MASK_THRESHOLD = 128  # a mask byte ≥ this marks its pixel for regeneration (white = regenerate)


def bytes_to_pixels(rgb: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 → (3, H, W) float32 in [-1, 1]: 2·(b/255) − 1, in float32 like prepare_image."""
    x = torch.from_numpy(np.ascontiguousarray(rgb[..., :3], dtype=np.float32)).permute(2, 0, 1)
    return 2 * (x / 255) - 1


def mask_from_bytes(values: np.ndarray) -> np.ndarray:
    """(H, W) grey bytes (or (H, W, ≥1): the first channel) → bool, True = regenerate."""
    v = values if values.ndim == 2 else values[..., 0]
    return v >= MASK_THRESHOLD


def place_source(source: torch.Tensor, width: int, height: int, offset: tuple[int, int] = (0, 0)):
    """Source pixels (3, Hs, Ws) at offset (x, y) on a width × height canvas (cropped where it sticks
    out) → (canvas (1, 3, H, W), covered (H, W) bool)."""
    _, hs, ws = source.shape
    x, y = offset
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + ws, width), min(y + hs, height)
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"the {ws}×{hs} image at offset ({x}, {y}) covers nothing of the {width}×{height} canvas")
    canvas = torch.zeros(1, 3, height, width)
    canvas[0, :, y0:y1, x0:x1] = source[:, y0 - y: y1 - y, x0 - x: x1 - x]
    covered = np.zeros((height, width), dtype=bool)
    covered[y0:y1, x0:x1] = True
    return canvas, covered


def token_mask(pixel_mask: np.ndarray, stride: int, grow: bool = False) -> np.ndarray:
    """(H, W) bool → (gh, gw) bool: a token is unknown when any pixel of its patch is masked;
    `grow` adds the 8 neighbours of every unknown token."""
    h, w = pixel_mask.shape
    t = pixel_mask.reshape(h // stride, stride, w // stride, stride).any(axis=(1, 3))
    if grow:
        t = F.max_pool2d(torch.from_numpy(t)[None, None].float(), 3, stride=1, padding=1)[0, 0].numpy() > 0
    return t


def variation_count(strength: float, candidates: int) -> int:
    """Tokens a variation regenerates: max(1, floor(strength·c + 0.5))."""
    if not (0 < strength <= 1 and math.isfinite(strength)):
        raise ValueError(f"strength must be in (0, 1], got {strength}")
    return max(1, math.floor(strength * candidates + 0.5))


@dataclass
class Canvas:
    pixels: torch.Tensor        # (1, 3, H, W) in [-1, 1]: the source placed, grey elsewhere
    candidates: torch.Tensor    # token indices (row-major) that may be generated, ascending
    count: int                  # u: tokens generated per image
    grid: tuple[int, int]       # (gh, gw)


def make_canvas(source: torch.Tensor, settings: GenerateSettings, stride: int, mask: np.ndarray | None = None,
                offset: tuple[int, int] = (0, 0), strength: float | None = None, grow: bool = False) -> Canvas:
    """The canvas of a partly known image and which of its tokens may be generated.

    source (3, Hs, Ws) in [-1, 1]; mask (H, W) bool at the canvas's size (True = regenerate) or None."""
    settings.check(stride)
    width, height = settings.canvas()
    pixels, covered = place_source(source, width, height, offset)
    masked = ~covered
    if mask is not None:
        if mask.shape != (height, width):
            raise ValueError(f"the mask is {mask.shape[1]}×{mask.shape[0]} but the canvas is {width}×{height}")
        if not mask.any():
            raise ValueError("the mask marks no pixel to regenerate")
        masked = masked | mask
    unknown = token_mask(masked, stride, grow).reshape(-1)
    if not unknown.any():
        if strength is None:
            raise ValueError("nothing to generate: give a mask, a strength or a canvas larger than the image")
        unknown[:] = True   # a variation of the whole image
    candidates = torch.from_numpy(np.flatnonzero(unknown))
    count = len(candidates) if strength is None else variation_count(strength, len(candidates))
    return Canvas(pixels, candidates, count, settings.grid(stride))


@torch.no_grad()
def known_latents(model: Harmon, canvas: Canvas) -> torch.Tensor:
    """The VAE-encoded canvas (gh, gw, 16): the known tokens' values."""
    return model.encode_image(canvas.pixels)[0]


@torch.no_grad()
def generate_partial(model: Harmon, codec: TextCodec, prompts: list[str], settings: GenerateSettings,
                     canvas: Canvas, seed: int = 0, trace: dict | None = None) -> torch.Tensor:
    """Seeded generation on a partly known canvas → latents (n, gh, gw, 16)."""
    orders, noise = seeded_inputs(seed, len(prompts), canvas.grid[0] * canvas.grid[1], settings,
                                  canvas.candidates, canvas.count)
    return generate_latents(model, codec, prompts, settings, orders, noise, trace, known=known_latents(model, canvas))


def check_canvas_orders(orders: torch.Tensor, canvas: Canvas) -> None:
    """Injected orders for a canvas: per image `count` distinct candidates (all of them without a
    strength, in any order)."""
    allowed = set(canvas.candidates.tolist())
    for b, row in enumerate(orders.tolist()):
        if len(row) != canvas.count or len(set(row)) != len(row) or not set(row) <= allowed:
            raise ValueError(f"orders[{b}] must list {canvas.count} distinct tokens of the {len(allowed)} the mask leaves unknown")
