"""The full-size presets, built on the meta device, hold exactly the official key set and shapes."""
import pytest
import torch

from conftest import read_layout
from harmon.config import preset
from harmon.model import Harmon
from harmon.vae import AutoencoderKL


@pytest.mark.parametrize("name", ["0.5b", "1.5b"])
def test_preset_matches_official_state_dict(name):
    want, total = read_layout(f"harmon_{name}.pth.txt")
    with torch.device("meta"):
        model = Harmon(preset(name), with_vae=False)
    got = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert set(got) - set(want) == set()
    assert set(want) - set(got) == set()
    assert {k: got[k] for k in want if got[k] != want[k]} == {}
    assert sum(v.numel() for v in model.state_dict().values()) == total


@pytest.mark.parametrize("name,params", [("0.5b", 704_942_880), ("1.5b", 2_494_774_048)])
def test_preset_parameter_count(name, params):
    # tied lm_head counted once: the stated per-key totals minus one embedding table
    with torch.device("meta"):
        model = Harmon(preset(name), with_vae=False)
    _, total = read_layout(f"harmon_{name}.pth.txt")
    emb = model.llm.model.embed_tokens.weight.numel()
    assert sum(p.numel() for p in model.parameters()) == params == total - emb


def test_vae_matches_kl16_layout():
    want, total = read_layout("kl16.ckpt.txt")
    with torch.device("meta"):
        vae = AutoencoderKL(preset("0.5b").vae)
    got = {k: tuple(v.shape) for k, v in vae.state_dict().items()}
    assert got == want
    assert sum(v.numel() for v in vae.state_dict().values()) == total
