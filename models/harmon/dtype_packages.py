"""The golden tiny model (models/golden/tiny: same seed, same weights, same understanding settings)
written as fp32, fp16 and q4 packages, for the engine's test of the fp16 and q4 paths (src/cli/dtypes.e2e.test.ts). Each export
checks its graphs against the reference (export/package.py BOUNDS); the test then runs the packages
through the engine and compares them with fp32.

  scripts/py -m harmon.dtype_packages OUT_DIR [--dtypes fp32,fp16,q4]   → OUT_DIR/{fp32,fp16,q4}/
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

from .config import preset
from .export.package import DTYPES, export_package
from .decoding import understanding_settings
from .golden import ASK_SIZE, DEFAULT_OUT, GENERATION_CONFIG, randomize
from .model import Harmon
from .tokenizer_build import build_tokenizer, save_tokenizer


def write(out: Path, dtypes: list[str]) -> dict[str, dict]:
    seed = json.loads((DEFAULT_OUT / "vectors.json").read_text())["seed"]
    torch.manual_seed(seed)
    cfg = preset("tiny")
    model = randomize(Harmon(cfg), seed)
    understanding = understanding_settings(cfg.name, cfg.image_size, GENERATION_CONFIG, ASK_SIZE)
    manifests = {}
    with tempfile.TemporaryDirectory() as tok:
        save_tokenizer(build_tokenizer(cfg.llm.vocab_size), Path(tok))
        for d in dtypes:
            manifests[d] = export_package(model, Path(tok), out / d, d, log=lambda *_: None,
                                          understanding=understanding)
    return manifests


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/py -m harmon.dtype_packages", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--dtypes", default=",".join(DTYPES))
    a = ap.parse_args(argv)
    dtypes = [d for d in a.dtypes.split(",") if d]
    bad = [d for d in dtypes if d not in DTYPES]
    if bad:
        ap.error(f"unknown dtype(s) {bad}: expected some of {DTYPES}")
    for d, m in write(a.out, dtypes).items():
        worst = max(m["checks"].values())
        print(f"{d}: {a.out / d} (worst graph error vs the reference {worst:.2e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
