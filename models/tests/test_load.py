"""Strict loading of every released form, and clear errors for everything else."""
import json
import pickle
import shutil

import pytest
import torch

from harmon.load import CheckpointError, load_hf, load_official, save_hf


def _same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert set(sa) == set(sb)
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


def test_official_layout_loads_strictly(tiny_files, tiny_model):
    m, tok = load_official(tiny_files / "harmon_tiny.pth", tiny_files / "kl16.ckpt", tiny_files / "qwen",
                           config=tiny_model.cfg)
    _same_weights(m, tiny_model)
    assert (tok / "tokenizer.json").is_file()


def test_sizes_are_read_from_the_weights(tiny_files, tiny_model):
    m, _ = load_official(tiny_files / "harmon_tiny.pth", tiny_files / "kl16.ckpt", tiny_files / "qwen", mar_heads=4)
    c, want = m.cfg, tiny_model.cfg
    assert (c.mar.heads, c.mar.decoder_heads) == (4, 4)
    assert (c.mar.width, c.mar.depth, c.mar.decoder_depth, c.mar.grid, c.mar.buffer_size,
            c.mar.head_width, c.mar.head_depth) == (want.mar.width, want.mar.depth, want.mar.decoder_depth,
                                                    want.mar.grid, want.mar.buffer_size,
                                                    want.mar.head_width, want.mar.head_depth)
    assert c.vae == want.vae and c.llm == want.llm and c.name == "custom"


def test_tied_lm_head_may_be_absent(tiny_files, tiny_model, tmp_path):
    state = torch.load(tiny_files / "harmon_tiny.pth", weights_only=True)
    state.pop("llm.lm_head.weight")
    torch.save(state, tmp_path / "h.pth")
    m, _ = load_official(tmp_path / "h.pth", tiny_files / "kl16.ckpt", tiny_files / "qwen", config=tiny_model.cfg)
    assert torch.equal(m.llm.lm_head.weight, tiny_model.llm.lm_head.weight)


def test_hf_form_round_trip(tiny_files, tiny_model, tmp_path):
    save_hf(tiny_model, tiny_files / "qwen", tmp_path / "hf")
    m, tok = load_hf(tmp_path / "hf")
    _same_weights(m, tiny_model)
    assert m.cfg == tiny_model.cfg


def test_hf_form_sharded_with_index(tiny_files, tiny_model, tmp_path):
    from safetensors.torch import load_file, save_file
    save_hf(tiny_model, tiny_files / "qwen", tmp_path / "hf")
    state = load_file(str(tmp_path / "hf" / "model.safetensors"))
    (tmp_path / "hf" / "model.safetensors").unlink()
    keys = sorted(state)
    halves = {"model-00001-of-00002.safetensors": keys[: len(keys) // 2],
              "model-00002-of-00002.safetensors": keys[len(keys) // 2:]}
    for f, ks in halves.items():
        save_file({k: state[k] for k in ks}, str(tmp_path / "hf" / f))
    (tmp_path / "hf" / "model.safetensors.index.json").write_text(json.dumps(
        {"weight_map": {k: f for f, ks in halves.items() for k in ks}}))
    m, _ = load_hf(tmp_path / "hf")
    _same_weights(m, tiny_model)


def _save_modified(tiny_files, tmp_path, edit):
    state = torch.load(tiny_files / "harmon_tiny.pth", weights_only=True)
    edit(state)
    torch.save(state, tmp_path / "bad.pth")
    return tmp_path / "bad.pth"


def _load(tiny_files, pth, cfg):
    return load_official(pth, tiny_files / "kl16.ckpt", tiny_files / "qwen", config=cfg)


def test_missing_key_is_named(tiny_files, tiny_model, tmp_path):
    p = _save_modified(tiny_files, tmp_path, lambda s: s.pop("mar.decoder_blocks.1.attn.proj.bias"))
    with pytest.raises(CheckpointError, match=r"missing keys \(1\): mar\.decoder_blocks\.1\.attn\.proj\.bias"):
        _load(tiny_files, p, tiny_model.cfg)


def test_unexpected_key_is_named(tiny_files, tiny_model, tmp_path):
    p = _save_modified(tiny_files, tmp_path, lambda s: s.update({"mar.extra.weight": torch.zeros(2)}))
    with pytest.raises(CheckpointError, match=r"unexpected keys \(1\): mar\.extra\.weight"):
        _load(tiny_files, p, tiny_model.cfg)


def test_wrong_shape_is_named(tiny_files, tiny_model, tmp_path):
    p = _save_modified(tiny_files, tmp_path, lambda s: s.update({"proj_in.0.bias": torch.zeros(3)}))
    with pytest.raises(CheckpointError, match=r"wrong shapes \(1\): proj_in\.0\.bias \(3,\) \(expected \(64,\)\)"):
        _load(tiny_files, p, tiny_model.cfg)


def test_vae_missing_key_is_named(tiny_files, tiny_model, tmp_path):
    sd = dict(tiny_model.vae.state_dict())
    sd.pop("decoder.conv_out.bias")
    torch.save({"model": sd}, tmp_path / "kl16.ckpt")
    with pytest.raises(CheckpointError, match=r"VAE.*missing keys \(1\): decoder\.conv_out\.bias"):
        load_official(tiny_files / "harmon_tiny.pth", tmp_path / "kl16.ckpt", tiny_files / "qwen",
                      config=tiny_model.cfg)


def test_vae_ckpt_without_model_entry(tiny_files, tiny_model, tmp_path):
    torch.save(tiny_model.vae.state_dict(), tmp_path / "kl16.ckpt")
    with pytest.raises(CheckpointError, match="'model' entry"):
        load_official(tiny_files / "harmon_tiny.pth", tmp_path / "kl16.ckpt", tiny_files / "qwen")


def test_truncated_file(tiny_files, tmp_path):
    data = (tiny_files / "harmon_tiny.pth").read_bytes()
    (tmp_path / "t.pth").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_official(tmp_path / "t.pth", tiny_files / "kl16.ckpt", tiny_files / "qwen")


def test_not_a_checkpoint(tiny_files, tmp_path):
    (tmp_path / "x.pth").write_text("this is not a checkpoint")
    with pytest.raises(CheckpointError, match="not a PyTorch checkpoint"):
        load_official(tmp_path / "x.pth", tiny_files / "kl16.ckpt", tiny_files / "qwen")
    (tmp_path / "empty.pth").write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty"):
        load_official(tmp_path / "empty.pth", tiny_files / "kl16.ckpt", tiny_files / "qwen")


class _Payload:
    """Unpickling this would create a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (shutil.copy, (__file__, str(self.marker)))


@pytest.mark.parametrize("via_torch_save", [True, False])
def test_code_running_pickle_is_refused(tiny_files, tmp_path, via_torch_save):
    marker = tmp_path / "ran"
    evil = {"llm.model.embed_tokens.weight": torch.zeros(2), "x": _Payload(marker)}
    if via_torch_save:
        torch.save(evil, tmp_path / "evil.pth")
    else:
        (tmp_path / "evil.pth").write_bytes(pickle.dumps(evil, protocol=2))
    with pytest.raises(CheckpointError, match="refused to load"):
        load_official(tmp_path / "evil.pth", tiny_files / "kl16.ckpt", tiny_files / "qwen")
    assert not marker.exists()


def test_wrong_qwen_folder(tiny_files, tmp_path):
    q = tmp_path / "qwen"
    shutil.copytree(tiny_files / "qwen", q)
    cfg = json.loads((q / "config.json").read_text())
    cfg["hidden_size"] = 896
    (q / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="wrong Qwen folder"):
        load_official(tiny_files / "harmon_tiny.pth", tiny_files / "kl16.ckpt", q)
    (q / "tokenizer.json").unlink()
    with pytest.raises(CheckpointError, match="missing tokenizer.json"):
        load_official(tiny_files / "harmon_tiny.pth", tiny_files / "kl16.ckpt", q)


def test_hf_folder_without_vae(tiny_files, tiny_model, tmp_path):
    from safetensors.torch import load_file, save_file
    save_hf(tiny_model, tiny_files / "qwen", tmp_path / "hf")
    st = load_file(str(tmp_path / "hf" / "model.safetensors"))
    save_file({k: v for k, v in st.items() if not k.startswith("vae.")}, str(tmp_path / "hf" / "model.safetensors"))
    with pytest.raises(CheckpointError, match="no vae"):
        load_hf(tmp_path / "hf")


def test_corrupt_safetensors(tiny_files, tiny_model, tmp_path):
    save_hf(tiny_model, tiny_files / "qwen", tmp_path / "hf")
    f = tmp_path / "hf" / "model.safetensors"
    f.write_bytes(f.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        load_hf(tmp_path / "hf")
