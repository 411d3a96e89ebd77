"""MAR encoder/decoder with 64 buffer slots, parameter names as in the official `mar.*` keys.

The encoder sees the buffer slots plus the tokens that are already known ("seen"); masked tokens are
dropped. The decoder scatters the encoder output back into the full sequence with `mask_token` at
masked positions and produces one conditioning vector per token for the diffusion head.
"""
from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from .config import MARConfig
from .diffusion_head import SimpleMLPAdaLN


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        hd = c // self.heads
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        w = torch.softmax((q * hd ** -0.5) @ k.transpose(-2, -1), dim=-1)
        return self.proj((w @ v).transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))  # exact (erf) GELU


class Block(nn.Module):
    """Pre-norm ViT block (timm layout: norm1, attn, norm2, mlp)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def resize_pos_embed(table: torch.Tensor, buffer: int, grid: int, h: int, w: int) -> torch.Tensor:
    """(1, buffer + grid², C) → (1, buffer + h·w, C): buffer rows kept, image rows resized bilinearly."""
    if h == grid and w == grid:
        return table
    buf, img = table[:, :buffer], table[:, buffer:]
    c = img.shape[-1]
    img = img.reshape(1, grid, grid, c).permute(0, 3, 1, 2)
    img = F.interpolate(img, size=(h, w), mode="bilinear", align_corners=False)
    return torch.cat([buf, img.permute(0, 2, 3, 1).reshape(1, h * w, c)], dim=1)


class MAR(nn.Module):
    def __init__(self, cfg: MARConfig):
        super().__init__()
        self.cfg = cfg
        D, Dd, B, N = cfg.width, cfg.decoder_width, cfg.buffer_size, cfg.seq_len
        self.buffer_size = B
        self.class_emb = nn.Embedding(cfg.num_classes, D)   # unused by Harmon; kept for strict loading
        self.fake_latent = nn.Parameter(torch.zeros(1, D))
        self.z_proj = nn.Linear(cfg.token_dim, D, bias=True)
        self.z_proj_ln = nn.LayerNorm(D, eps=1e-6)
        self.encoder_pos_embed_learned = nn.Parameter(torch.zeros(1, B + N, D))
        self.encoder_blocks = nn.ModuleList(Block(D, cfg.heads, cfg.mlp_ratio) for _ in range(cfg.depth))
        self.encoder_norm = nn.LayerNorm(D, eps=1e-6)
        self.decoder_embed = nn.Linear(D, Dd, bias=True)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, Dd))
        self.decoder_pos_embed_learned = nn.Parameter(torch.zeros(1, B + N, Dd))
        self.decoder_blocks = nn.ModuleList(
            Block(Dd, cfg.decoder_heads, cfg.mlp_ratio) for _ in range(cfg.decoder_depth))
        self.decoder_norm = nn.LayerNorm(Dd, eps=1e-6)
        self.diffusion_pos_embed_learned = nn.Parameter(torch.zeros(1, N, Dd))
        self.diffloss = nn.Module()
        self.diffloss.net = SimpleMLPAdaLN(cfg.token_dim, cfg.head_width, cfg.token_dim * 2, Dd, cfg.head_depth)

    # -- position embeddings for an h×w grid --------------------------------------------------
    def encoder_pos(self, h: int, w: int):
        return resize_pos_embed(self.encoder_pos_embed_learned, self.buffer_size, self.cfg.grid, h, w)

    def decoder_pos(self, h: int, w: int):
        return resize_pos_embed(self.decoder_pos_embed_learned, self.buffer_size, self.cfg.grid, h, w)

    def diffusion_pos(self, h: int, w: int):
        return resize_pos_embed(self.diffusion_pos_embed_learned, 0, self.cfg.grid, h, w)

    # -- encoder ----------------------------------------------------------------------------
    def patch_embed(self, x: torch.Tensor, mask: torch.Tensor, h: int, w: int) -> torch.Tensor:
        """The per-step front of the encoder. x (B,N,16), mask (B,N) 1 = masked → (B, buffer+seen, D)."""
        b = x.shape[0]
        x = self.z_proj(x)
        buf = self.fake_latent.reshape(1, 1, -1).expand(b, self.buffer_size, -1)
        x = torch.cat([buf, x], dim=1) + self.encoder_pos(h, w)
        x = self.z_proj_ln(x)
        keep = torch.cat([mask.new_zeros(b, self.buffer_size), mask], dim=1) == 0
        return x[keep].reshape(b, -1, x.shape[-1])  # every row keeps the same count

    def encoder_body(self, x: torch.Tensor) -> torch.Tensor:
        for blk in self.encoder_blocks:
            x = blk(x)
        return self.encoder_norm(x)

    def forward_encoder(self, x, mask, h, w):
        return self.encoder_body(self.patch_embed(x, mask, h, w))

    # -- decoder ----------------------------------------------------------------------------
    def forward_decoder(self, x: torch.Tensor, mask: torch.Tensor, h: int, w: int) -> torch.Tensor:
        """x (B, buffer+seen, D) → per-token conditioning z (B, N, D')."""
        b = mask.shape[0]
        x = self.decoder_embed(x)
        keep = torch.cat([mask.new_zeros(b, self.buffer_size), mask], dim=1) == 0
        full = self.mask_token.to(x.dtype).expand(b, keep.shape[1], -1).clone()
        full[keep] = x.reshape(-1, x.shape[-1])
        x = full + self.decoder_pos(h, w)
        for blk in self.decoder_blocks:
            x = blk(x)
        x = self.decoder_norm(x)[:, self.buffer_size:]
        return x + self.diffusion_pos(h, w)
