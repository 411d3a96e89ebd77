"""Harmon: KL-16 VAE + MAR (encoder, decoder, diffusion head) + a Qwen2 LLM, bridged by proj_in/out.

Parameter names follow the official module so state dicts load strictly: `llm.*` (Qwen2ForCausalLM),
`mar.*`, `proj_in.*`, `proj_out.*` and, in the HF release only, `vae.*`.
"""
from __future__ import annotations

import torch
from torch import nn

from .config import HarmonConfig
from .mar import MAR
from .vae import AutoencoderKL

PROMPT_TEMPLATE = "<|im_start|>user\n{input}<|im_end|>\n<|im_start|>assistant\n"
GENERATE_INPUT = "Generate an image: {prompt}"
UNCONDITIONAL_INPUT = "Generate an image."
IMAGE_PLACEHOLDER = "<image>"
STOP_TOKENS = ("<|im_end|>", "<|endoftext|>")
PAD_TOKEN = "<|im_end|>"  # the official code right-pads with the eos token


def mlp2(din: int, dhidden: int, dout: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(din, dhidden), nn.SiLU(), nn.Linear(dhidden, dout))


class Harmon(nn.Module):
    def __init__(self, cfg: HarmonConfig, with_vae: bool = True):
        super().__init__()
        from transformers import Qwen2ForCausalLM

        self.cfg = cfg
        self.llm = Qwen2ForCausalLM(cfg.llm.to_hf())
        self.mar = MAR(cfg.mar)
        H, D = cfg.llm.hidden_size, cfg.mar.width
        self.proj_in = mlp2(D, H, H)
        self.proj_out = mlp2(H, H, D)
        if with_vae:
            self.vae = AutoencoderKL(cfg.vae)

    @property
    def buffer_size(self) -> int:
        return self.cfg.mar.buffer_size

    # -- image <-> tokens ---------------------------------------------------------------------
    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        """(B,3,H,W) in [-1,1] → scaled latent tokens (B, h, w, 16)."""
        return self.vae.encode_tokens(pixels)

    def decode_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, h, w, 16) scaled latents → (B,3,H,W) pixels in [-1,1]."""
        return self.vae.decode_tokens(tokens)

    # -- the bridge ---------------------------------------------------------------------------
    def buffers_to_end(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x[:, self.buffer_size:], x[:, : self.buffer_size]], dim=1)

    def buffers_to_front(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x[:, -self.buffer_size:], x[:, : -self.buffer_size]], dim=1)

    def to_llm(self, x_enc: torch.Tensor) -> torch.Tensor:
        """MAR encoder output → LLM input embeddings, image tokens first, buffers last."""
        return self.buffers_to_end(self.proj_in(x_enc))

    def from_llm(self, x_enc: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """Residual update of the encoder output from the LLM's last hidden states of the image part."""
        return x_enc + self.proj_out(self.buffers_to_front(h))

    # -- the LLM body ------------------------------------------------------------------------
    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        return self.llm.get_input_embeddings()(ids)

    def llm_forward(self, embeds, attention_mask=None, position_ids=None, cache=None):
        """Qwen2 decoder body (final RMSNorm included, no lm_head). Returns (hidden, cache)."""
        out = self.llm.model(inputs_embeds=embeds, attention_mask=attention_mask,
                             position_ids=position_ids, past_key_values=cache, use_cache=True,
                             return_dict=True)
        return out.last_hidden_state, out.past_key_values

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.llm.lm_head(hidden)
