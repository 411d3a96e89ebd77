"""The per-token diffusion MLP (SimpleMLPAdaLN), parameter names as in `mar.diffloss.net.*`.

Output: 32 values per token; the first 16 are ε, the last 16 the learned-range variance value v.
"""
from __future__ import annotations

import math

import torch
from torch import nn


def modulate(x, shift, scale):
    return x * (1 + scale) + shift


def timestep_embedding(t: torch.Tensor, dim: int = 256, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoid of the original timestep index: [cos(t·f_i), sin(t·f_i)], f_i = max_period^(−i/half)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(0, half, dtype=torch.float32) / half)
    args = t[:, None].float() * freqs[None].to(t.device)
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class TimestepEmbedder(nn.Module):
    def __init__(self, width: int, freq_dim: int = 256):
        super().__init__()
        self.freq_dim = freq_dim
        self.mlp = nn.Sequential(nn.Linear(freq_dim, width), nn.SiLU(), nn.Linear(width, width))

    def forward(self, t):
        return self.mlp(timestep_embedding(t, self.freq_dim))


class ResBlock(nn.Module):
    def __init__(self, w: int):
        super().__init__()
        self.in_ln = nn.LayerNorm(w, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(w, w), nn.SiLU(), nn.Linear(w, w))
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(w, 3 * w))

    def forward(self, x, y):
        shift, scale, gate = self.adaLN_modulation(y).chunk(3, dim=-1)
        return x + gate * self.mlp(modulate(self.in_ln(x), shift, scale))


class FinalLayer(nn.Module):
    def __init__(self, w: int, out: int):
        super().__init__()
        self.norm_final = nn.LayerNorm(w, elementwise_affine=False, eps=1e-6)
        self.linear = nn.Linear(w, out)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(w, 2 * w))

    def forward(self, x, y):
        shift, scale = self.adaLN_modulation(y).chunk(2, dim=-1)
        return self.linear(modulate(self.norm_final(x), shift, scale))


class SimpleMLPAdaLN(nn.Module):
    def __init__(self, in_channels: int, width: int, out_channels: int, z_channels: int, depth: int):
        super().__init__()
        self.in_channels = in_channels
        self.time_embed = TimestepEmbedder(width)
        self.cond_embed = nn.Linear(z_channels, width)
        self.input_proj = nn.Linear(in_channels, width)
        self.res_blocks = nn.ModuleList(ResBlock(width) for _ in range(depth))
        self.final_layer = FinalLayer(width, out_channels)

    def forward(self, x, t, c):
        """x (M,16) noisy tokens, t (M,) original timestep indices, c (M,D') conditioning → (M,32)."""
        x = self.input_proj(x)
        y = self.time_embed(t) + self.cond_embed(c)
        for block in self.res_blocks:
            x = block(x, y)
        return self.final_layer(x, y)

    def forward_with_cfg(self, x, t, c, cfg: float):
        """Rows are [conditional; unconditional]. Both halves see the conditional half's x; ε is
        guided, each row keeps its own variance output."""
        half = x[: len(x) // 2]
        out = self.forward(torch.cat([half, half], dim=0), t, c)
        eps, rest = out[:, : self.in_channels], out[:, self.in_channels:]
        eps_c, eps_u = torch.split(eps, len(eps) // 2, dim=0)
        guided = eps_u + cfg * (eps_c - eps_u)
        return torch.cat([torch.cat([guided, guided], dim=0), rest], dim=1)
