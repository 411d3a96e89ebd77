"""`npm run bench` needs a model of Harmon-0.5B's shapes: this writes one with random weights.

Every width is Harmon-0.5B's (LLM 896 wide with 14/2 heads and a 4864 MLP, MAR-B 768 wide, the
1024-wide diffusion head with its 6 blocks, the full KL-16 VAE); the depth is reduced (2 LLM layers,
2 + 2 MAR blocks) and so is the vocabulary (8192 rows: the table is only looked up, never
multiplied, during generation), so that the package stays small and a step runs on a CPU adapter.

  npm run bench:model -- [--out models/bench/harmon-0.5b-reduced] [--seed 0]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import torch

from .config import preset
from .export.package import export_package
from .golden import randomize
from .model import Harmon
from .tokenizer_build import build_tokenizer, save_tokenizer

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "bench" / "harmon-0.5b-reduced"


def bench_config():
    cfg = preset("0.5b")
    cfg.name = "0.5b-reduced"
    cfg.llm.num_hidden_layers = 2
    cfg.llm.vocab_size = 8192
    cfg.mar.depth = cfg.mar.decoder_depth = 2
    return cfg


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="npm run bench:model --", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    torch.manual_seed(a.seed)
    model = randomize(Harmon(bench_config()), a.seed)
    with tempfile.TemporaryDirectory() as tok:
        save_tokenizer(build_tokenizer(model.cfg.llm.vocab_size), Path(tok))
        m = export_package(model, Path(tok), a.out, "fp32")
    print(f"wrote {a.out} ({sum(f['bytes'] for f in m['files'].values()) / 2**20:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
