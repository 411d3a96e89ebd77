"""Parity vectors for a shipped package: one generation at the package's own settings (its MAR
steps, CFG and sampling steps, from the manifest), run by the PyTorch reference on the matching
checkpoint with seeded orders and noise, written so the engine can replay it exactly (injected
inputs, DESIGN.md §6) and compare latents. The golden vectors test the engine on a random model at
chosen settings; these test the model we actually ship, at the settings it is used with.

    scripts/py -m harmon.parity --checkpoint models/default/checkpoint --package models/default/package \
        --out models/default/parity [--prompt "..."] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from safetensors.torch import save_file

from .generate import GenerateSettings, generate_latents, seeded_inputs

DEFAULT_PROMPT = "a red circle to the left of a blue square"


def settings_of(manifest: dict) -> GenerateSettings:
    d = manifest.get("defaults", {})
    return GenerateSettings(
        steps=d.get("steps", 64), cfg=d.get("cfg", 3.0), cfg_schedule=d.get("cfg_schedule", "constant"),
        temperature=d.get("temperature", 1.0),
        sampling_steps=manifest.get("diffusion", {}).get("default_sampling_steps", 100),
        size=d.get("size", manifest["config"]["image_size"]))


def build(checkpoint: Path, package: Path, prompt: str = DEFAULT_PROMPT, seed: int = 0) -> tuple[dict, dict]:
    """→ (tensors, meta): orders (1, N) int32, noise (1, N, S+1, 16), latents (1, N, 16)."""
    from .load import load_hf
    from .text import TextCodec

    model, tok_dir = load_hf(checkpoint)
    model.eval()
    codec = TextCodec.from_file(tok_dir / "tokenizer.json")
    manifest = json.loads((package / "manifest.json").read_text())
    s = settings_of(manifest)
    gh, gw = s.grid(model.cfg.vae.stride)
    orders, noise = seeded_inputs(seed, 1, gh * gw, s.sampling_steps)
    lat = generate_latents(model, codec, [prompt], s, orders, noise)
    tensors = {"orders": orders.to(torch.int32).contiguous(), "noise": noise.contiguous(),
               "latents": lat.reshape(1, gh * gw, 16).contiguous()}
    meta = {"prompt": prompt, "seed": seed, "settings": {
        "steps": s.steps, "cfg": s.cfg, "cfg_schedule": s.cfg_schedule, "temperature": s.temperature,
        "sampling_steps": s.sampling_steps, "size": s.size}}
    return tensors, meta


def write(out: Path, tensors: dict, meta: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / "vectors.safetensors"))
    (out / "vectors.json").write_text(json.dumps(meta, indent=1) + "\n")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--package", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--prompt", default=DEFAULT_PROMPT)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    tensors, meta = build(a.checkpoint, a.package, a.prompt, a.seed)
    write(a.out, tensors, meta)
    print(f"parity vectors → {a.out} ({meta['settings']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
