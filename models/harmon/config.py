"""Model sizes. One dataclass per part; presets for the released sizes and tiny test models.

The numbers are the released models' (DESIGN.md §2). Everything else in the package reads sizes from
here, and the manifest stores this config so the engine never hard-codes a size.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class VAEConfig:
    ch: int = 128                      # base channels
    ch_mult: tuple[int, ...] = (1, 1, 2, 2, 4)
    num_res_blocks: int = 2            # encoder; the decoder has one more per level
    z_channels: int = 16
    in_channels: int = 3
    scale: float = 0.2325              # vae_scale: latents are posterior mean × scale

    @property
    def stride(self) -> int:
        return 2 ** (len(self.ch_mult) - 1)


@dataclass
class MARConfig:
    width: int = 768                   # encoder width D (= decoder width D' for Harmon)
    depth: int = 12
    heads: int = 12
    decoder_width: int = 768
    decoder_depth: int = 12
    decoder_heads: int = 12
    buffer_size: int = 64
    grid: int = 16                     # native token grid (position embeddings are made for it)
    token_dim: int = 16                # = VAE z_channels × patch_size² (patch size 1)
    mlp_ratio: float = 4.0
    head_width: int = 1024             # diffusion MLP width W
    head_depth: int = 6                # res-blocks
    num_classes: int = 1000            # class_emb rows (unused by Harmon, present in checkpoints)

    @property
    def seq_len(self) -> int:
        return self.grid * self.grid


@dataclass
class LLMConfig:
    """The subset of a Qwen2 config that fixes the weights' shapes (plus rope/eps for the math)."""
    hidden_size: int = 896
    num_hidden_layers: int = 24
    num_attention_heads: int = 14
    num_key_value_heads: int = 2
    intermediate_size: int = 4864
    vocab_size: int = 151936
    rope_theta: float = 1000000.0
    rms_norm_eps: float = 1e-6
    max_position_embeddings: int = 32768
    tie_word_embeddings: bool = True

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def to_hf(self):
        from transformers import Qwen2Config
        return Qwen2Config(
            hidden_size=self.hidden_size, num_hidden_layers=self.num_hidden_layers,
            num_attention_heads=self.num_attention_heads, num_key_value_heads=self.num_key_value_heads,
            intermediate_size=self.intermediate_size, vocab_size=self.vocab_size,
            rope_theta=self.rope_theta, rms_norm_eps=self.rms_norm_eps,
            max_position_embeddings=self.max_position_embeddings,
            tie_word_embeddings=self.tie_word_embeddings, use_sliding_window=False,
            hidden_act="silu", attention_dropout=0.0, attn_implementation="eager")

    @classmethod
    def from_hf_dict(cls, d: dict) -> "LLMConfig":
        rope = d.get("rope_theta")
        if rope is None:  # transformers 5 writes rope settings under rope_parameters
            rope = (d.get("rope_parameters") or {}).get("rope_theta", 10000.0)
        return cls(hidden_size=d["hidden_size"], num_hidden_layers=d["num_hidden_layers"],
                   num_attention_heads=d["num_attention_heads"],
                   num_key_value_heads=d.get("num_key_value_heads", d["num_attention_heads"]),
                   intermediate_size=d["intermediate_size"], vocab_size=d["vocab_size"],
                   rope_theta=float(rope), rms_norm_eps=d.get("rms_norm_eps", 1e-6),
                   max_position_embeddings=d.get("max_position_embeddings", 32768),
                   tie_word_embeddings=d.get("tie_word_embeddings", False))


@dataclass
class HarmonConfig:
    name: str = "0.5b"
    vae: VAEConfig = field(default_factory=VAEConfig)
    mar: MARConfig = field(default_factory=MARConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    image_size: int = 256              # default generation size (grid × VAE stride)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "HarmonConfig":
        vae = dict(d["vae"])
        vae["ch_mult"] = tuple(vae["ch_mult"])
        return cls(name=d["name"], vae=VAEConfig(**vae), mar=MARConfig(**d["mar"]),
                   llm=LLMConfig(**d["llm"]), image_size=d["image_size"])


def preset(name: str) -> HarmonConfig:
    if name == "0.5b":
        return HarmonConfig(name="0.5b")
    if name == "1.5b":
        return HarmonConfig(
            name="1.5b",
            mar=MARConfig(width=1280, depth=20, heads=16, decoder_width=1280, decoder_depth=20,
                          decoder_heads=16, head_width=1536, head_depth=12),
            llm=LLMConfig(hidden_size=1536, num_hidden_layers=28, num_attention_heads=12,
                          num_key_value_heads=2, intermediate_size=8960))
    if name == "tiny":
        # Small enough for golden vectors and CPU tests: 64² images → a 4×4 token grid.
        return HarmonConfig(
            name="tiny",
            vae=VAEConfig(ch=32, ch_mult=(1, 1, 1, 1, 2), num_res_blocks=1),
            mar=MARConfig(width=64, depth=2, heads=4, decoder_width=64, decoder_depth=2,
                          decoder_heads=4, buffer_size=64, grid=4, head_width=64, head_depth=2,
                          num_classes=10),
            llm=LLMConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                          num_key_value_heads=2, intermediate_size=128, vocab_size=512,
                          max_position_embeddings=2048),
            image_size=64)
    if name == "shapes":
        # The embedded default (models/default): trained by `npm run train` on the shapes world.
        # 64² images → 4×4 tokens; 8 buffer slots (a quarter of the tokens, as 64 of 256 upstream).
        return HarmonConfig(
            name="shapes",
            vae=VAEConfig(ch=32, ch_mult=(1, 1, 1, 1, 2), num_res_blocks=1),
            mar=MARConfig(width=128, depth=2, heads=4, decoder_width=128, decoder_depth=2,
                          decoder_heads=4, buffer_size=8, grid=4, head_width=128, head_depth=3,
                          num_classes=1),
            llm=LLMConfig(hidden_size=128, num_hidden_layers=4, num_attention_heads=4,
                          num_key_value_heads=2, intermediate_size=256, vocab_size=512,
                          max_position_embeddings=512),
            image_size=64)
    raise ValueError(f"unknown preset {name!r}: expected 0.5b, 1.5b, tiny or shapes")
