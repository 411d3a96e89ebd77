"""The modules exported as ONNX graphs, one per piece the engine runs through onnxruntime-web.

Each wraps reference modules without changing their math; where the reference's form does not trace
well (the LLM's cache object), the computation is spelled out with the same weights and checked
against the reference module on export.

Graph interfaces (B batch, L = buffer + seen tokens, T new LLM tokens, P cached LLM tokens):
  vae_encoder   image (B,3,H,W) in [-1,1]                → latents (B,h,w,16), scaled posterior mean
  vae_decoder   latents (B,h,w,16)                        → image (B,3,H,W) in [-1,1]
  mar_encoder   x (B,L,D) patch-embedded tokens           → x_enc (B,L,D), z_enc (B,L,Hd) buffers last
  llm           inputs_embeds (B,T,Hd), attention_bias (B,1,T,P+T) (see attention_bias),
                rope_cos / rope_sin (B,T,hd) (see rope_tables), past_key_i / past_value_i (B,kv,P,hd)
                                                          → hidden (B,T,Hd) after the final RMSNorm,
                                                            present_key_i / present_value_i (B,kv,P+T,hd)
  lm_head       hidden (B,T,Hd)                           → logits (B,T,V)
  mar_decoder   x_enc (B,L,D), hidden (B,L,Hd) in LLM order (buffers last), gather_index (B,buf+N) i64
                (0 = mask token, j+1 = row j of x), decoder_pos (1,buf+N,D'), diffusion_pos (1,N,D')
                                                          → z (B,N,D') per-token conditioning
"""
from __future__ import annotations

import torch
from torch import nn

from ..model import Harmon


class VAEEncoder(nn.Module):
    def __init__(self, model: Harmon):
        super().__init__()
        self.vae = model.vae

    def forward(self, image):
        return self.vae.encode_tokens(image)


class VAEDecoder(nn.Module):
    def __init__(self, model: Harmon):
        super().__init__()
        self.vae = model.vae

    def forward(self, latents):
        return self.vae.decode_tokens(latents)


class MAREncoder(nn.Module):
    def __init__(self, model: Harmon):
        super().__init__()
        self.model = model

    def forward(self, x):
        x_enc = self.model.mar.encoder_body(x)
        return x_enc, self.model.to_llm(x_enc)


class MARDecoder(nn.Module):
    def __init__(self, model: Harmon):
        super().__init__()
        self.model = model

    def forward(self, x_enc, hidden, gather_index, decoder_pos, diffusion_pos):
        mar = self.model.mar
        x = mar.decoder_embed(self.model.from_llm(x_enc, hidden))
        b, _, d = x.shape
        table = torch.cat([mar.mask_token.expand(b, 1, d), x], dim=1)
        full = torch.gather(table, 1, gather_index.unsqueeze(-1).expand(-1, -1, d)) + decoder_pos
        for blk in mar.decoder_blocks:
            full = blk(full)
        return mar.decoder_norm(full)[:, mar.buffer_size:] + diffusion_pos


class LMHead(nn.Module):
    def __init__(self, model: Harmon):
        super().__init__()
        self.lm_head = model.llm.lm_head

    def forward(self, hidden):
        return self.lm_head(hidden)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def rope_tables(position_ids: torch.Tensor, head_dim: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotary cos/sin (B,T,hd) for integer positions, computed as transformers' Qwen2 does (float32).

    They are graph INPUTS rather than computed inside: GPU sin/cos (WGSL's, on any adapter) lose
    precision on arguments of tens to thousands of radians, and the engine computes these tables
    on the CPU in a few microseconds."""
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    freqs = position_ids.float()[..., None] * inv
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos(), emb.sin()


def attention_bias(attention_mask: torch.Tensor, t: int) -> torch.Tensor:
    """Additive attention bias (B,1,T,P+T) for T new tokens after P cached ones: 0 where a query may
    look (valid per `attention_mask` (B,P+T) and causal), the float32 minimum elsewhere.

    An input rather than built in the graph: mask arithmetic on shapes makes onnxruntime-web split
    the graph between CPU and GPU and read data back on every run."""
    total = attention_mask.shape[1]
    causal = torch.arange(total)[None, :] <= (torch.arange(t) + (total - t))[:, None]
    allowed = causal[None, None] & attention_mask[:, None, None, :].bool()
    return torch.zeros(allowed.shape).masked_fill(~allowed, torch.finfo(torch.float32).min)


class LLMBody(nn.Module):
    """Qwen2 decoder body with explicit KV-cache tensors (the transformers modules' weights)."""

    def __init__(self, model: Harmon):
        super().__init__()
        m = model.llm.model
        c = model.cfg.llm
        self.layers, self.norm = m.layers, m.norm
        self.heads, self.kv_heads, self.head_dim = c.num_attention_heads, c.num_key_value_heads, c.head_dim

    def forward(self, inputs_embeds, attention_bias, rope_cos, rope_sin, *past):
        b, t, _ = inputs_embeds.shape
        cos, sin = rope_cos[:, None], rope_sin[:, None]
        group = self.heads // self.kv_heads
        x, presents = inputs_embeds, []
        for i, layer in enumerate(self.layers):
            a = layer.self_attn
            h = layer.input_layernorm(x)
            q = a.q_proj(h).view(b, t, self.heads, self.head_dim).transpose(1, 2)
            k = a.k_proj(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            v = a.v_proj(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            k = torch.cat([past[2 * i], k], dim=2)
            v = torch.cat([past[2 * i + 1], v], dim=2)
            presents += [k, v]
            kr = torch.repeat_interleave(k, group, dim=1)
            vr = torch.repeat_interleave(v, group, dim=1)
            w = torch.softmax(q @ kr.transpose(2, 3) * self.head_dim ** -0.5 + attention_bias, dim=-1)
            o = (w @ vr).transpose(1, 2).reshape(b, t, -1)
            x = x + a.o_proj(o)
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        return (self.norm(x), *presents)
