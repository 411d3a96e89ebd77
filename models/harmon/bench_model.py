"""Random-weight models of Harmon's shapes, for `npm run bench` and the full-size engine runs.

Without `--preset`: a package with Harmon-0.5B's widths (LLM 896 wide with 14/2 heads and a 4864
MLP, MAR-B 768 wide, the 1024-wide diffusion head with its 6 blocks, the full KL-16 VAE) at reduced
depth (2 LLM layers, 2 + 2 MAR blocks) and vocabulary (8192 rows: the table is only looked up,
never multiplied, during generation), so that the package stays small and a step runs on a CPU
adapter.

With `--preset 0.5b|1.5b`: the released model's every layer, written as the OFFICIAL files —
`harmon_{size}.pth` (flat state dict, `llm.lm_head.weight` tied to the embeddings), `kl16.ckpt`
(`{'model': VAE state dict}`) and a Qwen2.5 folder (`config.json`, tokenizer files and Qwen2.5-Instruct's
`generation_config.json`) — which `npm run convert` reads exactly as it reads the released weights.
The tokenizer is a small byte-level BPE with Qwen's special tokens (its ids stay below the 151936
embedding rows, as Qwen's own do).

  npm run bench:model -- [--out models/bench/harmon-0.5b-reduced] [--seed 0]
  npm run bench:model -- --preset 0.5b|1.5b --out SCRATCH_DIR [--seed 0]
      then: npm run convert -- --checkpoint SCRATCH_DIR/harmon_0.5b.pth --vae SCRATCH_DIR/kl16.ckpt
                               --llm SCRATCH_DIR/qwen --out PKG --dtype fp32|fp16|q4
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from .config import HarmonConfig, preset
from .export.package import export_package
from .golden import GENERATION_CONFIG, init_tensor, randomize
from .load import TIED
from .model import Harmon
from .tokenizer_build import build_tokenizer, save_tokenizer
from .vae import AutoencoderKL

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "bench" / "harmon-0.5b-reduced"
# Qwen2.5-{0.5B,1.5B}-Instruct's generation_config.json token ids (the sampling values and the 1.1
# repetition penalty are golden.GENERATION_CONFIG's)
QWEN_TOKEN_IDS = {"bos_token_id": 151643, "pad_token_id": 151643, "eos_token_id": [151645, 151643]}


def bench_config():
    cfg = preset("0.5b")
    cfg.name = "0.5b-reduced"
    cfg.llm.num_hidden_layers = 2
    cfg.llm.vocab_size = 8192
    cfg.mar.depth = cfg.mar.decoder_depth = 2
    return cfg


# The matrices whose output is added to a residual stream, and the stack each belongs to
RESIDUAL_OUT = (("llm.model.layers.", (".self_attn.o_proj.weight", ".mlp.down_proj.weight")),
                ("mar.encoder_blocks.", (".attn.proj.weight", ".mlp.fc2.weight")),
                ("mar.decoder_blocks.", (".attn.proj.weight", ".mlp.fc2.weight")))


def residual_scale(name: str, cfg: HarmonConfig) -> float:
    """1/sqrt(2·depth) for a matrix that writes into a residual stream (GPT-2's scaled init), else 1.
    Without it the 24–40 random blocks' outputs swamp the stream and 4-bit quantization's ~10% error
    per matrix compounds through all of them: the 0.5B's q4 LLM measured 0.41 relative error against
    the reference (over the converter's 0.25 bound for broken conversions), 0.14 with it (1.5B: 0.145)."""
    depth = {"llm.model.layers.": cfg.llm.num_hidden_layers, "mar.encoder_blocks.": cfg.mar.depth,
             "mar.decoder_blocks.": cfg.mar.decoder_depth}
    for prefix, suffixes in RESIDUAL_OUT:
        if name.startswith(prefix) and name.endswith(suffixes):
            return 1 / math.sqrt(2 * depth[prefix])
    return 1.0


def random_state(module: torch.nn.Module, g: torch.Generator, backing: Path | None = None,
                 scale=lambda name: 1.0) -> dict[str, torch.Tensor]:
    """A random state dict with `module`'s keys and shapes (built on the meta device, so nothing of
    the module is allocated). With `backing`, every tensor is a view of one float32 file mapped into
    memory: the kernel pages it out as needed, so writing the 1.5B (10.9 GB) does not need 10.9 GB
    of RAM."""
    shapes = {k: tuple(v.shape) for k, v in module.state_dict().items() if k != TIED}
    total = sum(math.prod(s) for s in shapes.values())
    if backing is not None:
        flat = torch.from_numpy(np.memmap(backing, dtype=np.float32, mode="w+", shape=(total,)))
    else:
        flat = torch.empty(total)
    state, at = {}, 0
    for k, s in shapes.items():
        n = math.prod(s)
        state[k] = flat[at:at + n].view(s)
        at += n
        init_tensor(k, state[k], g, scale(k))
    return state


def write_official(cfg: HarmonConfig, out: Path, seed: int, log=print) -> dict[str, Path]:
    """The released files of this size with random weights; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(seed)
    with torch.device("meta"):
        model = Harmon(cfg, with_vae=False)
        vae = AutoencoderKL(cfg.vae)
    ckpt = out / f"harmon_{cfg.name}.pth"
    backing = out / f".{ckpt.name}.f32"
    try:
        with torch.no_grad():
            state = random_state(model, g, backing, lambda k: residual_scale(k, cfg))
        if cfg.llm.tie_word_embeddings:
            state[TIED] = state["llm.model.embed_tokens.weight"]
        # the official .pth holds separate tensors; clone-free views of one storage load the same
        # (torch.load restores each key's shape and offset), without a second copy in memory here
        torch.save(state, ckpt)
        del state
    finally:
        backing.unlink(missing_ok=True)
    log(f"  {ckpt} ({ckpt.stat().st_size / 2**30:.2f} GiB)")
    vae_path = out / "kl16.ckpt"
    with torch.no_grad():
        torch.save({"model": {k: v.clone() for k, v in random_state(vae, g).items()}}, vae_path)
    log(f"  {vae_path} ({vae_path.stat().st_size / 2**20:.0f} MiB)")
    qwen = out / "qwen"
    save_tokenizer(build_tokenizer(cfg.llm.vocab_size), qwen, model_max_length=131072)
    c = cfg.llm
    (qwen / "config.json").write_text(json.dumps({
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu",
        "hidden_size": c.hidden_size, "intermediate_size": c.intermediate_size,
        "num_hidden_layers": c.num_hidden_layers, "num_attention_heads": c.num_attention_heads,
        "num_key_value_heads": c.num_key_value_heads, "vocab_size": c.vocab_size,
        "max_position_embeddings": c.max_position_embeddings, "rope_theta": c.rope_theta,
        "rms_norm_eps": c.rms_norm_eps, "tie_word_embeddings": c.tie_word_embeddings,
        "use_sliding_window": False, "attention_dropout": 0.0, "torch_dtype": "bfloat16",
        **{k: QWEN_TOKEN_IDS[k] for k in ("bos_token_id",)}, "eos_token_id": 151645}, indent=2))
    (qwen / "generation_config.json").write_text(json.dumps({**QWEN_TOKEN_IDS, **GENERATION_CONFIG}, indent=2))
    log(f"  {qwen}/ (config.json, tokenizer.json, tokenizer_config.json, generation_config.json)")
    return {"checkpoint": ckpt, "vae": vae_path, "llm": qwen}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="npm run bench:model --", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--preset", choices=("0.5b", "1.5b"),
                    help="write the released size's official files (every layer) instead of the reduced package")
    a = ap.parse_args(argv)
    if a.preset:
        if a.out is None:
            ap.error("--preset needs --out: a scratch folder outside the repository (several GB)")
        print(f"writing Harmon-{a.preset} (random weights, official layout) to {a.out}")
        p = write_official(preset(a.preset), a.out, a.seed)
        print(f"convert: npm run convert -- --checkpoint {p['checkpoint']} --vae {p['vae']} --llm {p['llm']} "
              f"--out PKG --dtype fp32|fp16|q4")
        return 0
    out = a.out or DEFAULT_OUT
    torch.manual_seed(a.seed)
    model = randomize(Harmon(bench_config()), a.seed)
    with tempfile.TemporaryDirectory() as tok:
        save_tokenizer(build_tokenizer(model.cfg.llm.vocab_size), Path(tok))
        m = export_package(model, Path(tok), out, "fp32")
    print(f"wrote {out} ({sum(f['bytes'] for f in m['files'].values()) / 2**20:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
