"""The committed golden vectors are exactly what the current reference produces."""
import json
from pathlib import Path

from safetensors.torch import load_file

from harmon.export.onnx_export import rel_err
from harmon.export.package import verify_package
from harmon.golden import DEFAULT_OUT, build


def test_committed_golden_vectors_are_current(tmp_path):
    meta = build(tmp_path / "g", seed=json.loads((DEFAULT_OUT / "vectors.json").read_text())["seed"])
    committed = load_file(str(DEFAULT_OUT / "vectors.safetensors"))
    fresh = load_file(str(tmp_path / "g" / "vectors.safetensors"))
    assert set(committed) == set(fresh)
    # Float vectors match to 1e-5 on any CPU. Byte images (clamp(127.5·x + 128) truncated) can sit on a
    # rounding edge, where another CPU's summation order moves a pixel by one level: allow that.
    floats = [k for k in committed if not k.endswith("_bytes")]
    worst = max((rel_err(fresh[k], committed[k]), k) for k in floats)
    assert worst[0] <= 1e-5, worst
    for k in set(committed) - set(floats):
        assert (fresh[k].int() - committed[k].int()).abs().max() <= 1, k
    assert json.loads((DEFAULT_OUT / "vectors.json").read_text()) == json.loads(json.dumps(meta))
    verify_package(DEFAULT_OUT / "package")


def test_golden_covers_the_engine_stages():
    v = load_file(str(DEFAULT_OUT / "vectors.safetensors"))
    for key in ("vae/latents", "vae/decoded", "pos/encoder_2x", "cfg_constant/step0/patch_embed",
                "cfg_constant/step0/llm_hidden", "cfg_constant/step1/z", "cfg_constant/prompt_cache/key_0",
                "cfg_linear/step0/head/eps_0", "no_cfg/latents", "cfg_constant/image_bytes",
                "understanding/turn0/first_logits", "understanding/image_embeds",
                "inpaint/source_bytes", "inpaint/mask_bytes", "inpaint/known", "inpaint/unknown", "inpaint/step0/z",
                "outpaint/canvas", "outpaint/step1/patch_embed", "wide/step0/llm_hidden", "wide/latents",
                "pos/encoder_wide"):
        assert key in v, key
    size = sum(f.stat().st_size for f in Path(DEFAULT_OUT).rglob("*") if f.is_file())
    # 10 MiB of vectors and package, plus the package's llm.safetensors (0.29 MiB: the LLM's layers
    # for the webgpu kernels path, beside llm.onnx)
    assert size < 10.5 * 2**20


def test_golden_partly_known_cases():
    """Known tokens leave the loop bit-identical; orders and noise run over the unknown tokens only."""
    v = load_file(str(DEFAULT_OUT / "vectors.safetensors"))
    meta = json.loads((DEFAULT_OUT / "vectors.json").read_text())
    for name in ("inpaint", "outpaint"):
        lat, known, unknown = v[f"{name}/latents"], v[f"{name}/known"], v[f"{name}/unknown"].bool()
        n, u = v[f"{name}/orders"].shape
        assert u == int(unknown.sum()) == meta["cases"][name]["unknown"] < unknown.numel()
        assert v[f"{name}/noise"].shape[:2] == (n, u)
        for b in range(n):
            assert set(v[f"{name}/orders"][b].tolist()) == set(unknown.nonzero().flatten().tolist())
            assert (lat[b].reshape(-1, 16)[~unknown] == known.reshape(-1, 16)[~unknown]).all()
    assert v["wide/latents"].shape == (1, 3, 6, 16) and v["outpaint/latents"].shape == (1, 5, 6, 16)


def test_golden_fast_case():
    """The fast preset: S_k = 50, 35, 20, 5 over K = 4, noise as one stream of S_k + 1 slots per token."""
    from harmon.generate import GenerateSettings, noise_slots
    v = load_file(str(DEFAULT_OUT / "vectors.safetensors"))
    c = json.loads((DEFAULT_OUT / "vectors.json").read_text())["cases"]["fast"]
    s = GenerateSettings(**c["settings"])
    assert s.fast and c["sampling_steps_per_step"] == s.head_steps() == [50, 35, 20, 5]
    n = len(c["prompts"])
    assert tuple(v["fast/noise"].shape) == (n, noise_slots(s, 16), 16) == (n, c["noise_slots"], 16)
    assert sorted(int(k.rsplit("_", 1)[1]) for k in v if k.startswith("fast/step1/head/eps_")) == list(range(35))
