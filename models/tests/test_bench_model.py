"""`npm run bench:model -- --preset`: random weights written as the official files, which the
converter's strict loader reads (checked here at the tiny size; the released sizes' key sets and
shapes are the presets', test_layout.py)."""
import json
import math

import torch

from harmon.bench_model import residual_scale, write_official
from harmon.config import preset
from harmon.decoding import read_generation_config
from harmon.load import TIED, load_official, load_state_file, load_vae_checkpoint


def test_official_files_load_strictly_with_the_written_weights(tmp_path):
    cfg = preset("tiny")
    p = write_official(cfg, tmp_path, seed=3, log=lambda *_: None)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["harmon_tiny.pth", "kl16.ckpt", "qwen"]
    state = load_state_file(p["checkpoint"])
    assert torch.equal(state[TIED], state["llm.model.embed_tokens.weight"])  # tied, as released
    assert all(v.dtype == torch.float32 and torch.isfinite(v).all() for v in state.values())
    model, _ = load_official(p["checkpoint"], p["vae"], p["llm"], mar_heads=4)
    got = model.state_dict()
    assert all(torch.equal(got[k], v) for k, v in state.items())
    vae = load_vae_checkpoint(p["vae"])
    assert all(torch.equal(got["vae." + k], v) for k, v in vae.items())
    # the loader makes the float32 file's tensors the parameters (no copy) and keeps lm_head tied
    assert model.llm.lm_head.weight is model.llm.model.embed_tokens.weight
    assert read_generation_config(p["llm"])["repetition_penalty"] == 1.1
    assert json.loads((p["llm"] / "config.json").read_text())["num_hidden_layers"] == cfg.llm.num_hidden_layers


def test_residual_outputs_are_scaled_by_depth(tmp_path):
    cfg = preset("1.5b")
    assert residual_scale("llm.model.layers.3.mlp.down_proj.weight", cfg) == 1 / math.sqrt(56)
    assert residual_scale("llm.model.layers.3.self_attn.o_proj.weight", cfg) == 1 / math.sqrt(56)
    assert residual_scale("mar.decoder_blocks.19.attn.proj.weight", cfg) == 1 / math.sqrt(40)
    assert residual_scale("llm.model.layers.3.self_attn.q_proj.weight", cfg) == 1.0
    assert residual_scale("mar.diffloss.net.res_blocks.0.mlp.2.weight", cfg) == 1.0
