"""Adds llm.safetensors (the LLM's decoder layers and final norm, for the WebGPU backend's own kernels)
to a package written before the converter wrote it, from the checkpoint it was converted from.

  scripts/py -m harmon.export.llm_weights PKG_DIR --from HF_FOLDER

The weights must be the ones inside the package's llm.onnx: the package's recorded files are checked
first (verify_package), and the engine's WebGPU parity test compares both paths on the golden package.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from safetensors.torch import save_file

from ..load import load_safetensors_dir
from .package import LLM_PREFIXES, sha256, verify_package


def add_llm_weights(folder: Path, checkpoint: Path) -> dict:
    folder = Path(folder)
    manifest = verify_package(folder)
    state = load_safetensors_dir(Path(checkpoint))
    wdtype = torch.float32 if manifest["dtype"] == "fp32" else torch.float16
    llm = {k: v.detach().to(wdtype).contiguous() for k, v in state.items() if k.startswith(LLM_PREFIXES)}
    layers = manifest["config"]["llm"]["num_hidden_layers"]
    want = 1 + 12 * layers  # per layer: 2 norms, q/k/v weight + bias, o, gate, up, down; then the final norm
    if len(llm) != want:
        raise ValueError(f"{checkpoint}: {len(llm)} LLM layer tensors, a {layers}-layer Qwen2 has {want}")
    save_file(llm, str(folder / "llm.safetensors"))
    manifest["files"]["llm.safetensors"] = {"kind": "llm-weights", "dtype": "fp32" if manifest["dtype"] == "fp32" else "fp16",
                                           "bytes": (folder / "llm.safetensors").stat().st_size,
                                           "sha256": sha256(folder / "llm.safetensors")}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return verify_package(folder)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/py -m harmon.export.llm_weights", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("package", type=Path)
    ap.add_argument("--from", dest="checkpoint", type=Path, required=True)
    a = ap.parse_args(argv)
    add_llm_weights(a.package, a.checkpoint)
    print(f"wrote {a.package / 'llm.safetensors'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
