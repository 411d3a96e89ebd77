"""Export: `npm run convert` on official-layout files writes a package whose manifest matches its
files; every graph was checked against the reference during export."""
import json
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest

from harmon.convert import main as convert
from harmon.export.package import BOUNDS, export_package, verify_package

ROOT = Path(__file__).resolve().parents[2]
GRAPHS = {"vae_encoder", "vae_decoder", "mar_encoder", "mar_decoder", "llm", "lm_head"}


def _check_manifest(pkg: Path, dtype: str) -> dict:
    manifest = verify_package(pkg)
    assert manifest["dtype"] == dtype
    assert set(manifest["graphs"]) == GRAPHS
    assert all(err <= BOUNDS[dtype] for err in manifest["checks"].values()), manifest["checks"]
    listed = set(manifest["files"]) | {"manifest.json"}
    assert {p.name for p in pkg.iterdir()} == listed
    return manifest


def test_convert_fp32_official_layout(tiny_files, tmp_path):
    out = tmp_path / "pkg"
    rc = convert(["--checkpoint", str(tiny_files / "harmon_tiny.pth"), "--vae", str(tiny_files / "kl16.ckpt"),
                  "--llm", str(tiny_files / "qwen"), "--out", str(out), "--mar-heads", "4"])
    assert rc == 0
    m = _check_manifest(out, "fp32")
    assert max(m["checks"].values()) <= 1e-5
    assert m["config"]["mar"]["grid"] == 4 and m["config"]["mar"]["buffer_size"] == 64
    assert m["config"]["mar"]["heads"] == m["config"]["mar"]["decoder_heads"] == 4
    # no generation_config.json in the Qwen folder: plain greedy, questions at the generation size
    assert m["understanding"] == {"size": 64, "repetition_penalty": 1.0, "generation_config": None}
    # the LLM's layers for the WebGPU kernels, beside llm.onnx: every layer tensor and the final norm
    assert m["files"]["llm.safetensors"]["kind"] == "llm-weights"
    from safetensors import safe_open
    with safe_open(str(out / "llm.safetensors"), "pt") as f:
        keys = set(f.keys())
    assert len(keys) == 1 + 12 * m["config"]["llm"]["num_hidden_layers"] and "llm.model.norm.weight" in keys
    assert all(k.startswith(("llm.model.layers.", "llm.model.norm.")) for k in keys)

    # every graph's weights as stored, for the engine's checks before a download (src/engine/fit.ts)
    cfg = m["config"]["llm"]
    for g, w in m["weights"].items():
        inits = onnx.load(str(out / m["graphs"][g]), load_external_data=False).graph.initializer
        assert w["bytes"] == sum(4 * int(np.prod(t.dims)) for t in inits) > 0
        assert w["largest"]["bytes"] == max(4 * int(np.prod(t.dims)) for t in inits)
    assert m["weights"]["lm_head"]["largest"] == {"name": m["weights"]["lm_head"]["largest"]["name"],
                                                   "bytes": cfg["vocab_size"] * cfg["hidden_size"] * 4,
                                                   "shape": [cfg["hidden_size"], cfg["vocab_size"]]}

def test_llm_weights_adds_the_file_an_older_package_lacks(tmp_path):
    """The embedded default's llm.safetensors, written again from its checkpoint into a copy of the
    package without it: the same bytes, and the manifest verifies."""
    import shutil
    from harmon.export.llm_weights import add_llm_weights
    src = ROOT / "models" / "default"
    pkg = tmp_path / "pkg"
    shutil.copytree(src / "package", pkg)
    (pkg / "llm.safetensors").unlink()
    manifest = json.loads((pkg / "manifest.json").read_text())
    del manifest["files"]["llm.safetensors"]
    (pkg / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    m = add_llm_weights(pkg, src / "checkpoint")
    assert (pkg / "llm.safetensors").read_bytes() == (src / "package" / "llm.safetensors").read_bytes()
    assert m["files"]["llm.safetensors"] == json.loads((src / "package" / "manifest.json").read_text())["files"]["llm.safetensors"]
    with pytest.raises(ValueError, match="LLM layer tensors"):
        add_llm_weights(pkg, ROOT / "models" / "golden" / "tiny" / "package")


def test_convert_refuses_an_unknown_mar_width(tiny_files, tmp_path, capsys):
    """The .pth has no head count: width 64 is not a released width, so it is not guessed."""
    rc = convert(["--checkpoint", str(tiny_files / "harmon_tiny.pth"), "--vae", str(tiny_files / "kl16.ckpt"),
                  "--llm", str(tiny_files / "qwen"), "--out", str(tmp_path / "pkg")])
    err = capsys.readouterr().err
    assert rc == 2 and "64 wide" in err and "--mar-heads N" in err and "768 → 12" in err
    assert not (tmp_path / "pkg").exists()
    rc = convert(["--checkpoint", str(tiny_files / "harmon_tiny.pth"), "--vae", str(tiny_files / "kl16.ckpt"),
                  "--llm", str(tiny_files / "qwen"), "--out", str(tmp_path / "pkg"), "--mar-heads", "5"])
    assert rc == 2 and "--mar-heads 5 does not divide" in capsys.readouterr().err


def test_convert_carries_the_generation_config(tiny_files, tmp_path):
    """The Qwen folder's generation_config.json (its repetition penalty) goes into the manifest."""
    import shutil
    qwen = tmp_path / "qwen"
    shutil.copytree(tiny_files / "qwen", qwen)
    gen = {"bos_token_id": 151643, "pad_token_id": 151643, "do_sample": True, "eos_token_id": [151645, 151643],
           "repetition_penalty": 1.1, "temperature": 0.7, "top_p": 0.8, "top_k": 20, "transformers_version": "4.37.0"}
    (qwen / "generation_config.json").write_text(json.dumps(gen))
    out = tmp_path / "pkg"
    assert convert(["--checkpoint", str(tiny_files / "harmon_tiny.pth"), "--vae", str(tiny_files / "kl16.ckpt"),
                    "--llm", str(qwen), "--out", str(out), "--mar-heads", "4", "--ask-size", "128"]) == 0
    m = verify_package(out)
    assert m["understanding"] == {"size": 128, "repetition_penalty": 1.1, "generation_config": gen}


def test_npm_run_convert_q4(tiny_files, tmp_path):
    """The real command line, through npm."""
    out = tmp_path / "pkg"
    r = subprocess.run(["npm", "run", "--silent", "convert", "--", "--checkpoint", str(tiny_files / "harmon_tiny.pth"),
                        "--vae", str(tiny_files / "kl16.ckpt"), "--llm", str(tiny_files / "qwen"), "--out", str(out),
                        "--dtype", "q4", "--mar-heads", "4"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    m = _check_manifest(out, "q4")
    ops = {n.op_type for n in onnx.load(str(out / "llm.onnx")).graph.node}
    assert "MatMulNBits" in ops and "MatMul" in ops  # weights quantized; attention's MatMuls stay float
    assert m["files"]["llm.onnx"]["dtype"] == "q4" and m["files"]["vae_decoder.onnx"]["dtype"] == "fp32"
    # 4-bit packed weights count as stored: the lm_head's (H/32 blocks of 16 bytes per row) is an
    # eighth of its fp32 bytes
    cfg = m["config"]["llm"]
    assert m["weights"]["lm_head"]["largest"]["bytes"] == cfg["vocab_size"] * cfg["hidden_size"] // 2


def test_npm_run_convert_reports_bad_checkpoint(tiny_files, tmp_path):
    (tmp_path / "bad.pth").write_bytes(b"PK\x03\x04garbage")
    r = subprocess.run(["npm", "run", "--silent", "convert", "--", "--checkpoint", str(tmp_path / "bad.pth"),
                        "--vae", str(tiny_files / "kl16.ckpt"), "--llm", str(tiny_files / "qwen"),
                        "--out", str(tmp_path / "o")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 2
    assert "error:" in r.stderr and "bad.pth" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


def test_convert_hf_fp16(tiny_files, tiny_model, tmp_path):
    from harmon.load import save_hf
    save_hf(tiny_model, tiny_files / "qwen", tmp_path / "hf")
    assert convert(["--hf", str(tmp_path / "hf"), "--out", str(tmp_path / "pkg"), "--dtype", "fp16"]) == 0
    m = _check_manifest(tmp_path / "pkg", "fp16")
    assert m["config"] == json.loads(json.dumps(tiny_model.cfg.to_dict()))


def test_large_graphs_use_external_data(tiny_model, tiny_files, tmp_path, monkeypatch):
    import harmon.export.package as package
    monkeypatch.setattr(package, "EXTERNAL_DATA_BYTES", 100_000)
    m = export_package(tiny_model, tiny_files / "qwen", tmp_path / "pkg", "fp32", log=lambda *_: None)
    assert m["files"]["vae_decoder.onnx.data"]["kind"] == "onnx-external-data"
    assert max(m["checks"].values()) <= 1e-5
    _check_manifest(tmp_path / "pkg", "fp32")
    # converting into the same folder again writes the same files, not the weights appended twice
    again = export_package(tiny_model, tiny_files / "qwen", tmp_path / "pkg", "fp32", log=lambda *_: None)
    assert {k: v["bytes"] for k, v in again["files"].items()} == {k: v["bytes"] for k, v in m["files"].items()}
    _check_manifest(tmp_path / "pkg", "fp32")


def test_verify_package_detects_tampering(tiny_model, tiny_files, tmp_path):
    pkg = tmp_path / "pkg"
    export_package(tiny_model, tiny_files / "qwen", pkg, "fp32", log=lambda *_: None)
    data = bytearray((pkg / "kernels.safetensors").read_bytes())
    data[-1] ^= 1
    (pkg / "kernels.safetensors").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="kernels.safetensors: SHA-256 mismatch"):
        verify_package(pkg)
    (pkg / "lm_head.onnx").write_bytes(b"")
    with pytest.raises(ValueError, match="lm_head.onnx: 0 bytes"):
        verify_package(pkg)


def test_bad_dtype(tiny_model, tiny_files, tmp_path):
    with pytest.raises(ValueError, match="dtype must be one of"):
        export_package(tiny_model, tiny_files / "qwen", tmp_path, "int8")
