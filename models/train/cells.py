"""Local generation targets: each token's latent encoded from its own cell alone.

The VAE's encoder sees past a 16-px cell, so a token's latent carries traces of its neighbours: a
background token next to a red circle differs from one on an empty canvas, and the generator learns
to read objects out of such traces. At generation time it then reads them out of background tokens
it sampled itself, and draws objects nobody asked for. Here every generation target is the latent
of its cell in a scene holding only that cell's object (or nothing): in the grid world an object is
fixed by its shape, colour and cell, so 16 cells × 31 patterns make a table, encoded once.

The decoder, trained on whole scenes' latents, draws such tokens side by side badly at first, so it
is fine-tuned to draw the scene from them (half of each batch keeps the whole scenes' latents, which
the engine still produces when it encodes an image). The encoder is untouched: understanding and
partly known images keep its latents.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from shapes.world import COLORS, GRID, RADIUS, SHAPES, Obj, Scene, cell_center, cell_of

from .data import render_batch
from .vae import lr_at, pixel_weights


@torch.no_grad()
def cell_latents(vae, scenes: list[Scene], size: int = 64) -> torch.Tensor:
    """(n, GRID, GRID, 16) scaled latents: each token encoded from its cell alone."""
    n_cells = GRID * GRID
    empty = vae.encode_tokens(render_batch([Scene(())], size))[0].reshape(n_cells, -1)
    table = {}
    for shape in SHAPES:
        for color in COLORS:
            alone = [Scene((Obj(shape, color, *cell_center(k), RADIUS),)) for k in range(n_cells)]
            lat = vae.encode_tokens(render_batch(alone, size)).reshape(n_cells, n_cells, -1)
            for k in range(n_cells):
                table[shape, color, k] = lat[k, k]   # scene k's own cell
    out = empty[None].repeat(len(scenes), 1, 1)
    for i, scene in enumerate(scenes):
        for o in scene.objects:
            out[i, cell_of(o)] = table[o.shape, o.color, cell_of(o)]
    return out.reshape(len(scenes), GRID, GRID, -1)


def tune_decoder(vae, cells: torch.Tensor, full: torch.Tensor, images: torch.Tensor, steps: int, seed: int,
                 log=print, batch: int = 16, lr: float = 5e-4) -> list[dict]:
    """Fine-tunes the decoder (and post_quant_conv) to draw `images` from their cell latents (the
    first half of each batch) and from their whole-scene latents (the second), with the VAE's own
    weighted L1 + MSE. Its own random stream (seed + 7): the stages after it draw what they would
    without it."""
    params = list(vae.decoder.parameters()) + list(vae.post_quant_conv.parameters())
    vae.requires_grad_(False)
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    rng = np.random.default_rng(seed + 7)
    history, t0 = [], time.time()
    vae.train()
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, lr, min(30, max(1, steps // 20)))
        i = rng.integers(0, len(images), batch)
        half = batch // 2
        x = images[i]
        rec = vae.decode_tokens(torch.cat([cells[i[:half]], full[i[half:]]]))
        w = pixel_weights(x)
        w = w / w.mean()
        err = rec - x
        loss = (err.abs() * w).mean() + (err ** 2 * w).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == steps - 1:
            history.append({"step": step, "loss": loss.item(), "s": round(time.time() - t0, 1)})
            log(f"  decoder {step:5d}/{steps}  loss {loss.item():.4f}  {time.time() - t0:.0f}s")
    vae.eval()
    vae.requires_grad_(False)
    return history
