"""`npm run convert`: official Harmon weights → model package (DESIGN.md §6).

  npm run convert -- --checkpoint harmon_0.5b.pth --vae kl16.ckpt --llm QWEN_DIR --out PKG [--dtype fp32|fp16|q4]
  npm run convert -- --hf HARMON_HF_DIR --out PKG [--dtype ...]
  [--mar-heads N]  the MAR head count, for a width other than the released 768 (12) and 1280 (16)
  [--ask-size S]   the image size questions are answered at (default: 512 for the released models,
                   the official image2text's; else the generation size)

The Qwen folder's generation_config.json (repetition penalty) goes into the manifest, as the
official image2text's HF generate() applies it; without one, answers are plain greedy.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .export.package import DTYPES, export_package
from .decoding import GenerationConfigError, read_generation_config, understanding_settings
from .load import CheckpointError, load_hf, load_official


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="npm run convert --", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, help="harmon_0.5b.pth / harmon_1.5b.pth / harmon_1.5b-o.pth")
    ap.add_argument("--vae", type=Path, help="kl16.ckpt")
    ap.add_argument("--llm", type=Path, help="Qwen2.5 folder with config.json, tokenizer.json, tokenizer_config.json")
    ap.add_argument("--hf", type=Path, help="HF-format Harmon folder (config.json + safetensors, VAE included)")
    ap.add_argument("--out", type=Path, required=True, help="package folder to write")
    ap.add_argument("--dtype", choices=DTYPES, default="fp32")
    ap.add_argument("--mar-heads", type=int, help="MAR attention heads (only for a non-released width)")
    ap.add_argument("--ask-size", type=int, help="understanding image size (default 512 for released models)")
    a = ap.parse_args(argv)
    if a.hf and (a.checkpoint or a.vae or a.llm):
        ap.error("use either --hf or --checkpoint/--vae/--llm, not both")
    if not a.hf and not (a.checkpoint and a.vae and a.llm):
        ap.error("--checkpoint, --vae and --llm are all required (or --hf)")
    t0 = time.time()
    try:
        if a.hf:
            model, tok_dir = load_hf(a.hf, mar_heads=a.mar_heads)
        else:
            model, tok_dir = load_official(a.checkpoint, a.vae, a.llm, mar_heads=a.mar_heads)
        generation = read_generation_config(tok_dir)
    except (CheckpointError, GenerationConfigError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    stride = model.cfg.vae.stride
    if a.ask_size is not None and not (a.ask_size > 0 and a.ask_size % stride == 0):
        print(f"error: --ask-size must be a positive multiple of {stride}, got {a.ask_size}", file=sys.stderr)
        return 2
    understanding = understanding_settings(model.cfg.name, model.cfg.image_size, generation, a.ask_size)
    params = sum(p.numel() for p in model.parameters())
    print(f"loaded Harmon-{model.cfg.name}: {params / 1e6:.1f}M parameters in {time.time() - t0:.1f}s")
    print(f"understanding at {understanding['size']}², repetition penalty {understanding['repetition_penalty']:g}"
          + ("" if generation else " (no generation_config.json: plain greedy)"))
    manifest = export_package(model, tok_dir, a.out, a.dtype, understanding=understanding)
    total = sum(f["bytes"] for f in manifest["files"].values())
    print(f"wrote {a.out} ({a.dtype}, {total / 2**20:.1f} MiB in {len(manifest['files'])} files) "
          f"in {time.time() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
