"""KL-16 autoencoder (LDM AutoencoderKL as used by MAR and Harmon), parameter names as in kl16.ckpt.

Pixels in [-1, 1]; latents are the posterior MEAN (no sampling at inference) times vae_scale.
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from .config import VAEConfig


def Normalize(c: int) -> nn.GroupNorm:
    return nn.GroupNorm(num_groups=32, num_channels=c, eps=1e-6, affine=True)


class ResnetBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.norm1 = Normalize(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.norm2 = Normalize(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        if cin != cout:
            self.nin_shortcut = nn.Conv2d(cin, cout, 1, 1, 0)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        if hasattr(self, "nin_shortcut"):
            x = self.nin_shortcut(x)
        return x + h


class AttnBlock(nn.Module):
    """Single-head self-attention over all spatial positions, scaled by 1/sqrt(C)."""

    def __init__(self, c: int):
        super().__init__()
        self.norm = Normalize(c)
        self.q = nn.Conv2d(c, c, 1)
        self.k = nn.Conv2d(c, c, 1)
        self.v = nn.Conv2d(c, c, 1)
        self.proj_out = nn.Conv2d(c, c, 1)

    def forward(self, x):
        h = self.norm(x)
        q, k, v = self.q(h), self.k(h), self.v(h)
        b, c, hh, ww = q.shape
        q = q.reshape(b, c, hh * ww).permute(0, 2, 1)          # b, hw, c
        k = k.reshape(b, c, hh * ww)                           # b, c, hw
        w = torch.bmm(q, k) * (int(c) ** (-0.5))
        w = torch.softmax(w, dim=2)
        v = v.reshape(b, c, hh * ww)
        h = torch.bmm(v, w.permute(0, 2, 1)).reshape(b, c, hh, ww)
        return x + self.proj_out(h)


class Downsample(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 2, 0)

    def forward(self, x):
        # pad right and bottom only, so a stride-2 3×3 conv halves the size exactly
        return self.conv(F.pad(x, (0, 1, 0, 1), mode="constant", value=0.0))


class Upsample(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Encoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        ch, mult, nres = cfg.ch, cfg.ch_mult, cfg.num_res_blocks
        self.conv_in = nn.Conv2d(cfg.in_channels, ch, 3, 1, 1)
        in_mult = (1,) + tuple(mult)
        self.down = nn.ModuleList()
        last = len(mult) - 1
        for i in range(len(mult)):
            level = nn.Module()
            level.block = nn.ModuleList()
            cin, cout = ch * in_mult[i], ch * mult[i]
            for _ in range(nres):
                level.block.append(ResnetBlock(cin, cout))
                cin = cout
            if i == last:  # self-attention at the lowest resolution only
                level.attn = nn.ModuleList(AttnBlock(cout) for _ in range(nres))
            else:
                level.downsample = Downsample(cout)
            self.down.append(level)
        c = ch * mult[-1]
        self.mid = nn.Module()
        self.mid.block_1 = ResnetBlock(c, c)
        self.mid.attn_1 = AttnBlock(c)
        self.mid.block_2 = ResnetBlock(c, c)
        self.norm_out = Normalize(c)
        self.conv_out = nn.Conv2d(c, 2 * cfg.z_channels, 3, 1, 1)

    def forward(self, x):
        h = self.conv_in(x)
        for level in self.down:
            for j, block in enumerate(level.block):
                h = block(h)
                if hasattr(level, "attn"):
                    h = level.attn[j](h)
            if hasattr(level, "downsample"):
                h = level.downsample(h)
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(h)))
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        ch, mult, nres = cfg.ch, cfg.ch_mult, cfg.num_res_blocks + 1
        c = ch * mult[-1]
        self.conv_in = nn.Conv2d(cfg.z_channels, c, 3, 1, 1)
        self.mid = nn.Module()
        self.mid.block_1 = ResnetBlock(c, c)
        self.mid.attn_1 = AttnBlock(c)
        self.mid.block_2 = ResnetBlock(c, c)
        # up.i is indexed from the highest resolution (0) to the lowest; built and run lowest first
        levels = [None] * len(mult)
        for i in reversed(range(len(mult))):
            level = nn.Module()
            level.block = nn.ModuleList()
            cout = ch * mult[i]
            for _ in range(nres):
                level.block.append(ResnetBlock(c, cout))
                c = cout
            if i != 0:
                level.upsample = Upsample(c)
            levels[i] = level
        self.up = nn.ModuleList(levels)
        self.norm_out = Normalize(c)
        self.conv_out = nn.Conv2d(c, cfg.in_channels, 3, 1, 1)

    def forward(self, z):
        h = self.conv_in(z)
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(h)))
        for i in reversed(range(len(self.up))):
            level = self.up[i]
            for block in level.block:
                h = block(h)
            if hasattr(level, "upsample"):
                h = level.upsample(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class AutoencoderKL(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.quant_conv = nn.Conv2d(2 * cfg.z_channels, 2 * cfg.z_channels, 1)
        self.post_quant_conv = nn.Conv2d(cfg.z_channels, cfg.z_channels, 1)

    def encode_mean(self, x: torch.Tensor) -> torch.Tensor:
        """(B,3,H,W) pixels → posterior mean (B,z,H/16,W/16), unscaled."""
        moments = self.quant_conv(self.encoder(x))
        return moments[:, : self.cfg.z_channels]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.post_quant_conv(z))

    # Token layout used everywhere else: (B, h, w, C) latents, row-major tokens, scaled.
    def encode_tokens(self, x: torch.Tensor) -> torch.Tensor:
        return (self.encode_mean(x) * self.cfg.scale).permute(0, 2, 3, 1)

    def decode_tokens(self, t: torch.Tensor) -> torch.Tensor:
        return self.decode((t / self.cfg.scale).permute(0, 3, 1, 2))
