"""The embedded default's training: the losses learn, and the quick mode runs every stage and
exports a package that loads (manifest hashes, the reference from the checkpoint, the ONNX graphs
checked against it by the export itself)."""
import json

import numpy as np
import pytest
import torch

from harmon.config import preset
from harmon.export.package import verify_package
from harmon.load import load_hf
from harmon.model import Harmon
from harmon.text import TextCodec
from harmon.tokenizer_build import build_tokenizer, save_tokenizer
from train.data import Batcher, World, encode_latents
from train.default import init_weights, train
from train.losses import TABLES, diffusion_loss, generation_loss, random_mask, understanding_loss


def test_random_mask_counts():
    m = random_mask(5, 16, 7)
    assert m.shape == (5, 16) and (m.sum(1) == 7).all()


def test_diffusion_tables_match_the_sampler():
    from harmon.sampler import make_schedule
    s = make_schedule(1000)  # no respacing: the training schedule itself
    assert np.allclose(TABLES.coef1.numpy(), s.posterior_mean_coef1, rtol=1e-5)
    assert np.allclose(TABLES.min_log.numpy(), s.min_log, rtol=1e-5)


def test_diffusion_loss_trains_the_variance_and_the_noise():
    torch.manual_seed(0)
    cfg = preset("tiny")
    model = Harmon(cfg, with_vae=False)
    init_weights(model)
    net = model.mar.diffloss.net
    x0, z = torch.randn(64, 16) * 0.5, torch.randn(64, cfg.mar.decoder_width)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    first = None
    for _ in range(150):
        torch.manual_seed(1)  # same t and noise each step: the loss must go down
        loss = diffusion_loss(net, x0, z)
        first = first if first is not None else float(loss)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss) < 0.5 * first
    assert all(p.grad is not None for p in net.final_layer.parameters())


@pytest.fixture(scope="module")
def small():
    torch.manual_seed(0)
    world = World.build(16, seed=3)
    tok = build_tokenizer(512, world.corpus())
    return world, tok


def test_losses_are_finite_and_reach_every_trained_part(small, tmp_path):
    world, tok = small
    save_tokenizer(tok, tmp_path)
    codec = TextCodec.from_file(tmp_path / "tokenizer.json")
    cfg = preset("shapes")
    model = Harmon(cfg)
    init_weights(model)
    # the head's zero-initialised output layer would stop every gradient before the first update
    for p in model.mar.diffloss.net.parameters():
        if not p.abs().sum():
            torch.nn.init.normal_(p, std=0.02)
    latents = encode_latents(model.vae, world.images(32))
    b = Batcher(world, codec, np.random.default_rng(0))
    idx = np.arange(4)
    lg = generation_loss(model, latents[idx], *b.generation(idx, drop=0.5), n_masked=3)
    lu = understanding_loss(model, latents[idx], *b.understanding(idx))
    assert torch.isfinite(lg) and torch.isfinite(lu)
    (lg + lu).backward()
    for name in ("mar.z_proj.weight", "mar.encoder_blocks.0.attn.qkv.weight", "mar.decoder_blocks.1.mlp.fc2.weight",
                 "proj_in.0.weight", "proj_out.2.weight", "llm.model.layers.3.mlp.up_proj.weight",
                 "mar.diffloss.net.input_proj.weight"):
        g = dict(model.named_parameters())[name].grad
        assert g is not None and torch.isfinite(g).all() and g.abs().sum() > 0, name
    # understanding labels: only the answer and its <|im_end|> are trained
    _, after, mask, labels = b.understanding(idx)
    for r in range(len(idx)):
        trained = labels[r][labels[r] != -100].tolist()
        assert trained[-1] == codec.special_id("<|im_end|>")
        assert codec.decode(trained[:-1]) in {q["answer"] for q in world.qa[idx[r]]}


def test_quick_training_runs_every_stage_and_exports_a_loadable_package(tmp_path):
    report = train(tmp_path, seed=0, quick=True, log=lambda s: None)
    for name in ("vae", "text", "stage_I", "stage_II", "stage_III"):
        assert report[name], name
    assert [s["size"] for s in report["plan"]["stages"]] == [32, 32, 64]
    manifest = verify_package(tmp_path / "package")
    assert manifest["name"] == "shapes" and manifest["defaults"]["steps"] == 8
    assert manifest["config"]["vae"]["scale"] == report_scale(tmp_path)
    assert set(manifest["graphs"]) == {"vae_encoder", "vae_decoder", "mar_encoder", "mar_decoder", "llm", "lm_head"}
    model, tok_dir = load_hf(tmp_path / "checkpoint")
    assert json.loads(json.dumps(model.cfg.to_dict())) == manifest["config"]
    assert json.loads((tmp_path / "train_log.json").read_text())["quick"] is True
    assert report["package_bytes"] < 25 * 2**20


def report_scale(folder):
    return json.loads((folder / "checkpoint" / "config.json").read_text())["vae_scale"]
