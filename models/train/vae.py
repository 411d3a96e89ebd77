"""Stage 0b: the KL-16 autoencoder (same architecture as kl16.ckpt, smaller channels) on the world.

Loss: L1 + MSE on pixels of a sampled latent (z = mean + σ·ε, as LDM trains it; inference uses the
mean) plus a small KL to N(0, 1). There is no GAN or perceptual term: the world is flat colours on a
plain background, where pixel losses already give sharp edges. Shape pixels weigh FOREGROUND_WEIGHT
times the background's: they are a small share of each image, and unweighted the autoencoder learns
the background first and for long renders shapes as blobs in two or three averaged colours. `vae_scale` is then set so that the
scaled latents have unit standard deviation (LDM's scale factor).
"""
from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F

from harmon.vae import AutoencoderKL

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


def vae_loss(vae: AutoencoderKL, x: torch.Tensor) -> tuple[torch.Tensor, dict]:
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
    return l1 + mse + KL_WEIGHT * kl, {"l1": l1.item(), "mse": (err ** 2).mean().item(), "kl": kl.item()}


def lr_at(step: int, steps: int, peak: float, warmup: int, floor: float = 0.1) -> float:
    """Linear warm-up, then cosine decay from `peak` to `floor`·peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, steps - warmup)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p)))


def train_vae(vae: AutoencoderKL, images: dict[int, torch.Tensor], steps: int, batch: int, lr: float,
              log=print) -> list[dict]:
    """images: size → (n,3,S,S) in [-1,1]. Every fourth step uses the smaller size (stage II's)."""
    with torch.no_grad():  # start near-deterministic (σ ≈ 0.02): the KL loosens it only as far as it pays
        vae.quant_conv.bias[vae.cfg.z_channels:] = -8.0
    opt = torch.optim.AdamW(vae.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.0)
    sizes = sorted(images)
    history, t0 = [], time.time()
    vae.train()
    for step in range(steps):
        size = sizes[0] if (len(sizes) > 1 and step % 4 == 3) else sizes[-1]
        data = images[size]
        idx = torch.randint(0, len(data), (batch,))
        x = data[idx]
        if torch.rand(()) < 0.5:  # the world is mirror-symmetric in distribution
            x = x.flip(3)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, lr, max(1, steps // 20))
        loss, parts = vae_loss(vae, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        if step % 50 == 0 or step == steps - 1:
            psnr = -10 * math.log10(max(parts["mse"] / 4.0, 1e-12))  # pixels span 2 in [-1, 1]
            rec = {"step": step, "size": size, **parts, "psnr": psnr, "s": round(time.time() - t0, 1)}
            history.append(rec)
            log(f"  vae {step:5d}/{steps} {size}px  l1 {parts['l1']:.4f}  psnr {psnr:5.1f} dB  kl {parts['kl']:.0f}  {rec['s']:.0f}s")
    vae.eval()
    return history


@torch.no_grad()
def latent_scale(vae: AutoencoderKL, images: torch.Tensor) -> float:
    """1 / std of the unscaled posterior means over `images`."""
    z = torch.cat([vae.encode_mean(images[i: i + 256]) for i in range(0, len(images), 256)])
    return float(1.0 / z.std())
