"""Stage 0b: the KL-16 autoencoder (same architecture as kl16.ckpt, smaller channels) on the world.

Loss: L1 + MSE on pixels of a sampled latent (z = mean + σ·ε, as LDM trains it; inference uses the
mean) plus a small KL to N(0, 1). There is no GAN or perceptual term: the world is flat colours on a
plain background, where pixel losses already give sharp edges. Shape pixels weigh FOREGROUND_WEIGHT
times the background's: they are a small share of each image, and unweighted the autoencoder learns
the background first and for long renders shapes as blobs in two or three averaged colours. `vae_scale` is then set so that the
scaled latents have unit standard deviation (LDM's scale factor).

Optionally (`code_weight` > 0, train.default's `vae_code`) a **latent code** loss shapes where the
latents lie (LatentCode below). Reconstruction alone puts them wherever it is cheapest: on the
shipped VAE red, orange, yellow and green sit 1.8–2.3 apart along one line, against a spread of 0.9
within one class, and the diffusion head, which must land a sample in the right one, draws the
caption's colour 0.45 of the time at CFG 1 though its conditioning holds it perfectly (train.diagnose,
section 4). In this world a token's 16-px patch is exactly its cell, so its pixels are a function of
its label (one of 30 shape–colour pairs or background) and a code of tight, far-apart points loses
nothing that the reconstruction needs.
"""
from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from harmon.vae import AutoencoderKL
from shapes.world import COLORS, GRID, SHAPES

KL_WEIGHT = 1e-6
FOREGROUND_WEIGHT = 10.0
DILATE = 3


def pixel_weights(x: torch.Tensor) -> torch.Tensor:
    """(n,1,S,S): FOREGROUND_WEIGHT on and within DILATE pixels of a shape (a pixel differing from
    the image's corner: the world keeps a free border, so the corner is background), 1 elsewhere.
    The ring around each shape matters as much as the shape: weighted on the shape only, painting
    the whole box costs little, and stars and crosses come back as squares."""
    fg = ((x - x[:, :, :1, :1]).abs().amax(dim=1, keepdim=True) > 0.05).float()
    if DILATE:
        fg = F.max_pool2d(fg, 2 * DILATE + 1, stride=1, padding=DILATE)
    return 1.0 + (FOREGROUND_WEIGHT - 1.0) * fg


CODE_TEMPERATURE = 1.0


class LatentCode(nn.Module):
    """Where each token's latent should lie, one factor per half of its channels: the first half at
    its colour's point, the second at its shape's (index 0 of each: none, the background). Each half
    is a softmax over −‖u_half − point‖² / CODE_TEMPERATURE, with u the posterior mean divided by the
    batch's standard deviation (the units of the scaled latents the diffusion head sees; dividing by
    the batch's own spread keeps the encoder from buying margin by growing).
    Why factors: a held-out pair (no purple star is ever drawn in training) has no class of its own
    to train. A code with one point per pair (shape vector + colour vector, in all channels) pulled
    the encoder's purple star to a seen neighbour's point; a half that must say "purple" for every
    purple shape and a half that must say "star" for every star are both trained on every seen pair,
    and the encoder reads them off a purple star too (VAE-only proxy, 500 steps: the held-out pairs'
    tokens nearest their own colour 0.74 and their own shape 1.00, against 0.38 and 0.44 for the
    per-pair code). Training-only: not part of the VAE, the checkpoint or the package."""

    def __init__(self, channels: int):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.half = channels // 2
        self.color = nn.Parameter(torch.randn(len(COLORS) + 1, self.half, generator=g))
        self.shape = nn.Parameter(torch.randn(len(SHAPES) + 1, channels - self.half, generator=g))

    def loss(self, mean: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """mean (n, channels, GRID, GRID) posterior means; labels (n, GRID², 2) from probe.token_labels."""
        u = mean.permute(0, 2, 3, 1).flatten(0, 2) / mean.std()
        lab = labels.reshape(-1, 2)
        color = -torch.cdist(u[:, :self.half], self.color).square() / CODE_TEMPERATURE
        shape = -torch.cdist(u[:, self.half:], self.shape).square() / CODE_TEMPERATURE
        return F.cross_entropy(color, lab[:, 1]) + F.cross_entropy(shape, lab[:, 0])


def flip_labels(labels: torch.Tensor) -> torch.Tensor:
    """The token labels of images mirrored left–right (every shape of the world is symmetric so)."""
    return labels.reshape(-1, GRID, GRID, 2).flip(2).reshape(labels.shape)


def vae_loss(vae: AutoencoderKL, x: torch.Tensor, code: LatentCode | None = None,
             labels: torch.Tensor | None = None, code_weight: float = 1.0) -> tuple[torch.Tensor, dict]:
    moments = vae.quant_conv(vae.encoder(x))
    mean, logvar = moments.chunk(2, dim=1)
    logvar = logvar.clamp(-30.0, 20.0)
    z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
    rec = vae.decode(z)
    w = pixel_weights(x)
    w = w / w.mean()
    err = rec - x
    l1, mse = (err.abs() * w).mean(), (err ** 2 * w).mean()
    kl = 0.5 * (mean ** 2 + logvar.exp() - 1.0 - logvar).sum(dim=(1, 2, 3)).mean()
    parts = {"l1": l1.item(), "mse": (err ** 2).mean().item(), "kl": kl.item()}
    loss = l1 + mse + KL_WEIGHT * kl
    if code is not None:
        lc = code.loss(mean, labels)
        parts["code"] = lc.item()
        loss = loss + code_weight * lc
    return loss, parts


def lr_at(step: int, steps: int, peak: float, warmup: int, floor: float = 0.1) -> float:
    """Linear warm-up, then cosine decay from `peak` to `floor`·peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, steps - warmup)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p)))


def train_vae(vae: AutoencoderKL, images: dict[int, torch.Tensor], steps: int, batch: int, lr: float,
              log=print, labels: torch.Tensor | None = None, code_weight: float = 0.0) -> list[dict]:
    """images: size → (n,3,S,S) in [-1,1]. Every fourth step uses the smaller size (stage II's).
    code_weight > 0: the latent code loss (LatentCode) at that weight, on the size whose latents are
    the GRID × GRID token grid; labels (n, GRID², 2) are its images' token labels."""
    with torch.no_grad():  # start near-deterministic (σ ≈ 0.02): the KL loosens it only as far as it pays
        vae.quant_conv.bias[vae.cfg.z_channels:] = -8.0
    code = LatentCode(vae.cfg.z_channels) if code_weight else None
    params = list(vae.parameters()) + (list(code.parameters()) if code else [])
    opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.95), weight_decay=0.0)
    sizes = sorted(images)
    history, t0 = [], time.time()
    vae.train()
    for step in range(steps):
        size = sizes[0] if (len(sizes) > 1 and step % 4 == 3) else sizes[-1]
        data = images[size]
        idx = torch.randint(0, len(data), (batch,))
        x = data[idx]
        lab = labels[idx] if code is not None and size == GRID * 16 else None
        if torch.rand(()) < 0.5:  # the world is mirror-symmetric in distribution
            x = x.flip(3)
            lab = None if lab is None else flip_labels(lab)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, lr, max(1, steps // 20))
        loss, parts = vae_loss(vae, x, code if lab is not None else None, lab, code_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        if step % 50 == 0 or step == steps - 1:
            psnr = -10 * math.log10(max(parts["mse"] / 4.0, 1e-12))  # pixels span 2 in [-1, 1]
            rec = {"step": step, "size": size, **parts, "psnr": psnr, "s": round(time.time() - t0, 1)}
            history.append(rec)
            extra = f"  code {parts['code']:.4f}" if "code" in parts else ""
            log(f"  vae {step:5d}/{steps} {size}px  l1 {parts['l1']:.4f}  psnr {psnr:5.1f} dB  kl {parts['kl']:.0f}{extra}  {rec['s']:.0f}s")
    vae.eval()
    return history


@torch.no_grad()
def latent_scale(vae: AutoencoderKL, images: torch.Tensor) -> float:
    """1 / std of the unscaled posterior means over `images`."""
    z = torch.cat([vae.encode_mean(images[i: i + 256]) for i in range(0, len(images), 256)])
    return float(1.0 / z.std())
