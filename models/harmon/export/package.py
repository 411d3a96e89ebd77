"""Write a model package (DESIGN.md §4): graphs, kernel weights, tokenizer files, manifest.

The package checks itself: every graph is run with onnxruntime on random inputs and compared with
the reference modules; the errors go into the manifest and an error above the dtype's bound fails
the export.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from safetensors.torch import save_file

from ..decoding import understanding_settings
from ..model import (GENERATE_INPUT, IMAGE_PLACEHOLDER, PAD_TOKEN, PROMPT_TEMPLATE, STOP_TOKENS,
                     UNCONDITIONAL_INPUT, Harmon)
from ..sampler import NUM_TRAIN_STEPS
from .onnx_export import export_graph, specs
from .quantize import to_fp16, to_q4

FORMAT_VERSION = 1
DTYPES = ("fp32", "fp16", "q4")
# Relative error bound of each graph against the reference, by package dtype. fp32 is the exactness
# bound of the issue; fp16/q4 bounds only catch broken conversions (random weights quantize badly).
# fp32: the project's per-stage tolerance (1e-4); a trained VAE decoder reaches ~1.5e-5 from float
# reassociation in ORT's convolutions alone, a broken conversion is orders of magnitude off
BOUNDS = {"fp32": 1e-4, "fp16": 2e-2, "q4": 0.25}
# q4 quantizes the transformer graphs' matrices; the convolutional VAE stays fp32
Q4_GRAPHS = ("llm", "lm_head", "mar_encoder", "mar_decoder")
EXTERNAL_DATA_BYTES = 64 << 20       # graphs with more weight bytes keep them in a .data file
# Weights the WGSL kernels read (patch embedding, position embeddings, buffer vector, diffusion head)
KERNEL_PREFIXES = ("mar.fake_latent", "mar.z_proj.", "mar.z_proj_ln.", "mar.encoder_pos_embed_learned",
                   "mar.decoder_pos_embed_learned", "mar.diffusion_pos_embed_learned", "mar.mask_token",
                   "mar.diffloss.net.")
# The LLM's decoder layers and final norm, for the WebGPU backend's own kernels (src/engine/llm_kernels.ts,
# DESIGN §4): the same weights as inside llm.onnx, which the WASM backend runs. q4 packages carry them
# as fp16 (the kernels have no 4-bit path).
LLM_PREFIXES = ("llm.model.layers.", "llm.model.norm.")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _weight_bytes(m: onnx.ModelProto) -> int:
    return sum(int(np.prod(t.dims)) * 4 for t in m.graph.initializer)


def weight_sizes(m: onnx.ModelProto) -> dict:
    """The graph's initializers as stored (fp32, fp16, 4-bit packed uint8): their total bytes and the
    largest one. The engine checks these against a backend's limits before downloading anything:
    onnxruntime-web keeps the weights in its WebAssembly heap (wasm) or makes one GPU buffer per
    initializer (webgpu), so the largest must fit the adapter's maxBufferSize."""
    total, largest = 0, {"name": None, "bytes": 0, "shape": []}
    for t in m.graph.initializer:
        n = int(np.prod(t.dims)) * onnx.helper.tensor_dtype_to_np_dtype(t.data_type).itemsize
        total += n
        if n > largest["bytes"]:
            largest = {"name": t.name, "bytes": n, "shape": list(t.dims)}
    return {"bytes": total, "largest": largest}


def save_graph(m: onnx.ModelProto, out: Path, name: str) -> list[str]:
    """Save `name`.onnx (+ `name`.onnx.data when large); returns the files written."""
    path = out / f"{name}.onnx"
    # onnx appends external data to an existing file: converting into a package folder again would
    # leave the old weights in front of the new ones (every .data file twice its size)
    (out / f"{name}.onnx.data").unlink(missing_ok=True)
    if _weight_bytes(m) > EXTERNAL_DATA_BYTES:
        onnx.save_model(m, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=f"{name}.onnx.data", size_threshold=1024)
        return [path.name, f"{name}.onnx.data"]
    onnx.save_model(m, str(path))
    return [path.name]


def _session_runner(path: Path):
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return lambda feeds: sess.run(None, feeds)


def _state_slice(model: Harmon, keep, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    return {k: v.detach().to(dtype).contiguous() for k, v in model.state_dict().items() if keep(k)}


def export_package(model: Harmon, tok_dir: Path, out: Path, dtype: str = "fp32", grid: int | None = None,
                   log=print, defaults: dict | None = None, default_sampling_steps: int = 100,
                   understanding: dict | None = None) -> dict:
    """`defaults` / `default_sampling_steps`: the generation settings the package proposes (the
    manifest's "defaults"); the released models' are DESIGN §6's. `understanding`: the ask size
    and repetition penalty (decoding.understanding_settings; default: the generation size, plain
    greedy)."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    model = model.eval()
    cfg = model.cfg
    grid = grid or cfg.mar.grid
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict] = {}
    checks: dict[str, float] = {}
    graph_files: dict[str, str] = {}
    weights: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs(model, grid):
            proto = export_graph(spec, Path(tmp))
            gdtype = "fp32"
            if dtype == "fp16":
                proto, gdtype = to_fp16(proto), "fp16"
            elif dtype == "q4" and spec.name in Q4_GRAPHS:
                proto, gdtype = to_q4(proto), "q4"
            weights[spec.name] = weight_sizes(proto)
            written = save_graph(proto, out, spec.name)
            # the proto (the whole graph's weights) is not needed for the check: at 1.5B the LLM's
            # are 5.2 GB, which would otherwise stay in memory next to the check's session
            del proto
            err = spec.check(model, _session_runner(out / written[0]))
            checks[spec.name] = err
            log(f"  {spec.name:12s} {'+'.join(written):40s} rel. error vs reference {err:.2e}")
            if not err <= BOUNDS[dtype]:
                raise RuntimeError(f"exported {spec.name} differs from the reference: relative error {err:.3g} "
                                   f"> {BOUNDS[dtype]:g} ({dtype})")
            graph_files[spec.name] = written[0]
            for w in written:
                files[w] = {"kind": "onnx" if w.endswith(".onnx") else "onnx-external-data", "dtype": gdtype}

    wdtype = torch.float32 if dtype == "fp32" else torch.float16
    save_file(_state_slice(model, lambda k: k.startswith(KERNEL_PREFIXES), wdtype), str(out / "kernels.safetensors"))
    files["kernels.safetensors"] = {"kind": "kernel-weights", "dtype": "fp32" if dtype == "fp32" else "fp16"}
    save_file(_state_slice(model, lambda k: k.startswith(LLM_PREFIXES), wdtype), str(out / "llm.safetensors"))
    files["llm.safetensors"] = {"kind": "llm-weights", "dtype": files["kernels.safetensors"]["dtype"]}
    save_file(_state_slice(model, lambda k: k == "llm.model.embed_tokens.weight", wdtype),
              str(out / "embeddings.safetensors"))
    files["embeddings.safetensors"] = {"kind": "text-embeddings", "dtype": files["kernels.safetensors"]["dtype"]}
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(Path(tok_dir) / f, out / f)
        files[f] = {"kind": "tokenizer", "dtype": None}

    for name, meta in files.items():
        meta.update(bytes=(out / name).stat().st_size, sha256=sha256(out / name))
    manifest = {
        "format": "harmon-webgpu-package",
        "format_version": FORMAT_VERSION,
        "name": cfg.name,
        "dtype": dtype,
        "config": cfg.to_dict(),
        "derived": {"head_dim": cfg.llm.head_dim, "vae_stride": cfg.vae.stride, "seq_len": cfg.mar.seq_len},
        "prompts": {"template": PROMPT_TEMPLATE, "generate": GENERATE_INPUT, "unconditional": UNCONDITIONAL_INPUT,
                    "image_placeholder": IMAGE_PLACEHOLDER, "stop_tokens": list(STOP_TOKENS), "pad_token": PAD_TOKEN},
        "diffusion": {"train_steps": NUM_TRAIN_STEPS, "schedule": "cosine", "prediction": "epsilon",
                      "variance": "learned_range", "default_sampling_steps": default_sampling_steps},
        "defaults": defaults or {"steps": 64, "cfg": 3.0, "cfg_schedule": "constant", "temperature": 1.0,
                                 "size": cfg.image_size},
        "understanding": understanding or understanding_settings(cfg.name, cfg.image_size, None, cfg.image_size),
        "graphs": graph_files,
        "checks": {k: float(v) for k, v in checks.items()},
        "weights": weights,
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def verify_package(folder: Path) -> dict:
    """Re-hash every file listed in the manifest; raises naming any mismatch."""
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    bad = []
    for name, meta in manifest["files"].items():
        p = folder / name
        if not p.is_file():
            bad.append(f"{name}: missing")
        elif p.stat().st_size != meta["bytes"]:
            bad.append(f"{name}: {p.stat().st_size} bytes, manifest says {meta['bytes']}")
        elif sha256(p) != meta["sha256"]:
            bad.append(f"{name}: SHA-256 mismatch")
    if bad:
        raise ValueError(f"{folder}: package does not match its manifest: " + "; ".join(bad))
    return manifest
