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
from train.default import DEFAULTS, STAGES, init_weights, train
from train.losses import (LAST_T, LAST_T_WEIGHT, TABLES, diffusion_loss, generation_loss, head_timesteps,
                          last_step_error, random_mask, understanding_loss)
from train.probe import NONE, TokenProbe, token_labels


def test_random_mask_counts():
    m = random_mask(5, 16, 7)
    assert m.shape == (5, 16) and (m.sum(1) == 7).all()


def test_diffusion_tables_match_the_sampler():
    from harmon.sampler import make_schedule
    s = make_schedule(1000)  # no respacing: the training schedule itself
    assert np.allclose(TABLES.coef1.numpy(), s.posterior_mean_coef1, rtol=1e-5)
    assert np.allclose(TABLES.min_log.numpy(), s.min_log, rtol=1e-5)


def tiny_head(rows: int):
    """A freshly initialised tiny diffusion head and `rows` random (token, z) pairs for it."""
    torch.manual_seed(0)
    cfg = preset("tiny")
    model = Harmon(cfg, with_vae=False)
    init_weights(model)
    return model.mar.diffloss.net, torch.randn(rows, 16) * 0.5, torch.randn(rows, cfg.mar.decoder_width)


def test_diffusion_loss_trains_the_variance_and_the_noise():
    net, x0, z = tiny_head(64)
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


def test_head_timesteps_put_a_quarter_of_the_weight_rows_at_the_first_sampling_step():
    t, w = head_timesteps(400)
    assert (t[:100] == LAST_T).all() and (w[:100] == LAST_T_WEIGHT).all()
    assert (t[100:200] >= 900).all() and (w[100:] == 1).all()
    assert t.min() >= 0 and t.max() <= LAST_T


def test_head_training_at_the_last_step_shrinks_its_error_there():
    # the first sampling step multiplies the ε error at t = 999 by hundreds: the head stage's draw
    # must bring that error down faster than the uniform draw does, on the same budget
    def run(timesteps):
        net, x0, z = tiny_head(256)
        opt = torch.optim.Adam(net.parameters(), lr=2e-3)
        for _ in range(200):
            loss = diffusion_loss(net, x0, z, repeat=1, timesteps=timesteps)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return last_step_error(net, x0, z)

    from train.losses import uniform_timesteps
    assert run(head_timesteps) < 0.5 * run(uniform_timesteps)


def test_vae_pixel_weights_mark_the_shapes_and_a_ring_around_them():
    from shapes.world import Obj, Scene, render
    from train.vae import DILATE, FOREGROUND_WEIGHT, pixel_weights
    assert DILATE >= 2
    for bg in ("white", "light grey"):
        scene = Scene((Obj("square", "red", 0.25, 0.25, 0.125), Obj("star", "blue", 0.7, 0.6, 0.15)), bg)
        x = torch.from_numpy(np.asarray(render(scene, 64), dtype=np.float32)).permute(2, 0, 1)[None] / 127.5 - 1
        w = pixel_weights(x)[0, 0]
        assert set(w.unique().tolist()) == {1.0, FOREGROUND_WEIGHT}
        assert (w[8:24, 8:24] == FOREGROUND_WEIGHT).all()          # the square fills its box
        assert w[38, 45] == FOREGROUND_WEIGHT                       # the star's centre
        # between the star's top arms (background, next to the shape) weighs as much as the shape
        assert x[0, :, 30, 41].sub(x[0, :, 0, 0]).abs().max() < 0.05 and w[30, 41] == FOREGROUND_WEIGHT
        inside = torch.zeros_like(w, dtype=torch.bool)
        inside[8 - DILATE - 1:24 + DILATE + 1, 8 - DILATE - 1:24 + DILATE + 1] = True
        inside[28 - DILATE:49 + DILATE, 34 - DILATE:55 + DILATE] = True
        assert (w[~inside] == 1.0).all()                            # nothing far from the shapes


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
    latents = encode_latents(model.vae, world.images(64))
    b = Batcher(world, codec, np.random.default_rng(0))
    idx = np.arange(4)
    probe = TokenProbe(cfg.mar.decoder_width)
    lg, la = generation_loss(model, latents[idx], *b.generation(idx, drop=0.5), n_masked=3,
                             probe=probe, labels=world.token_labels()[idx])
    lu = understanding_loss(model, latents[idx], *b.understanding(idx))
    assert torch.isfinite(lg) and torch.isfinite(la) and torch.isfinite(lu)
    (lg + la + lu).backward()
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


def test_balanced_questions_ask_every_kind_alike(small, tmp_path):
    # kind first, then a question of that kind: position (a third of scenes have one) as often as existence
    world, tok = small
    save_tokenizer(tok, tmp_path)
    codec = TextCodec.from_file(tmp_path / "tokenizer.json")
    kinds = sorted({q["kind"] for qs in world.qa for q in qs})
    for balance in (False, True):
        b = Batcher(world, codec, np.random.default_rng(0))
        idx, qs = b.questions(3000, balance)
        assert all(any(q is w for w in world.qa[i]) for i, q in zip(idx, qs))  # each the sample's own
        share = {k: sum(q["kind"] == k for q in qs) / len(qs) for k in kinds}
        if balance:
            assert all(abs(v - 1 / len(kinds)) < 0.03 for v in share.values()), share
        else:
            assert share["exist"] > 3 * share["position"], share
    # plain draws are the stream understanding(idx) itself draws: the recipe's bytes are unchanged
    a, b = Batcher(world, codec, np.random.default_rng(5)), Batcher(world, codec, np.random.default_rng(5))
    idx, qs = a.questions(8)
    ref = b.understanding(b.rng.integers(0, len(world), 8))
    assert all(torch.equal(x, y) for x, y in zip(a.understanding(idx, qs), ref))


def test_without_fixed_answers_drops_questions_the_wording_answers():
    # a question whose answer never varies goes (wherever it is asked); one whose answer varies stays
    world = World.build(400, seed=0)
    answers = {}
    for qs in world.qa:
        for q in qs:
            answers.setdefault(q["question"], set()).add(q["answer"])
    fixed = {k for k, v in answers.items() if len(v) == 1}
    assert fixed and any(len(v) > 1 for k, v in answers.items() if "above or below" in k)
    kept = world.without_fixed_answers()
    assert kept.captions == world.captions and kept.scenes == world.scenes
    for before, after in zip(world.qa, kept.qa):
        assert after == [q for q in before if q["question"] not in fixed] and after
    assert World.build(400, seed=0).qa == world.qa      # the world itself is left as it was
    with pytest.raises(ValueError, match="too small"):
        World.build(1, seed=0).without_fixed_answers()  # one scene: every answer is fixed


def test_understanding_loss_averages_per_answer(small, tmp_path):
    # a ten-token answer weighs as much as a one-token one: the mean of the per-answer means
    world, tok = small
    save_tokenizer(tok, tmp_path)
    codec = TextCodec.from_file(tmp_path / "tokenizer.json")
    model = Harmon(preset("shapes"))
    init_weights(model)
    latents = encode_latents(model.vae, world.images(64))
    b = Batcher(world, codec, np.random.default_rng(1))
    idx = np.arange(4)
    before, after, mask, labels = b.understanding(idx)
    with torch.no_grad():
        whole = understanding_loss(model, latents[idx], before, after, mask, labels)
        rows = [understanding_loss(model, latents[idx[r: r + 1]], before, after[r: r + 1], mask[r: r + 1],
                                   labels[r: r + 1]) for r in range(4)]
    assert len({int((labels[r] != -100).sum()) for r in range(4)}) > 1  # answers of different lengths
    assert torch.allclose(whole, torch.stack(rows).mean(), rtol=1e-4)


def test_quick_training_runs_every_stage_and_exports_a_loadable_package(tmp_path):
    work = tmp_path / "stages"
    report = train(tmp_path / "out", seed=0, quick=True, log=lambda s: None, work=work)
    for name in STAGES:
        assert report[name], name
        assert (work / f"{name}.pt").is_file(), name
        torch.load(work / f"{name}.pt", weights_only=True)  # no pickled objects: arrays would need weights_only=False
    assert [s["size"] for s in report["plan"]["stages"]] == [64, 64, 64]
    out = tmp_path / "out"
    manifest = verify_package(out / "package")
    assert manifest["name"] == "shapes" and manifest["defaults"] == DEFAULTS
    assert manifest["config"]["vae"]["scale"] == report_scale(out)
    assert set(manifest["graphs"]) == {"vae_encoder", "vae_decoder", "mar_encoder", "mar_decoder", "llm", "lm_head"}
    model, tok_dir = load_hf(out / "checkpoint")
    assert json.loads(json.dumps(model.cfg.to_dict())) == manifest["config"]
    assert json.loads((out / "train_log.json").read_text())["quick"] is True
    assert report["package_bytes"] < 25 * 2**20

    # --resume: the stages whose checkpoints exist are skipped, the rest run, the result is the same
    # as an uninterrupted run's (every random stream is in the checkpoint)
    for name in ("stage_III", "stage_IV"):
        (work / f"{name}.pt").unlink()
    lines = []
    resumed = train(tmp_path / "again", seed=0, quick=True, log=lines.append, resume=True, work=work)
    assert any(l.startswith("resuming after stage_II ") for l in lines)
    assert not any(l.startswith(("vae:", "text:", "stage_I:", "stage_II:")) for l in lines)
    assert any(l.startswith("stage_III:") for l in lines) and any(l.startswith("stage_IV:") for l in lines)
    untimed = lambda hist: [{k: v for k, v in h.items() if k != "s"} for h in hist]
    for name in ("stage_III", "stage_IV"):
        assert untimed(resumed[name]) == untimed(report[name]), name
    a = (tmp_path / "out" / "checkpoint" / "model.safetensors").read_bytes()
    assert (tmp_path / "again" / "checkpoint" / "model.safetensors").read_bytes() == a
    # a changed stage III trains again from stage II's checkpoint, stage IV after it; another seed
    # reuses nothing
    import dataclasses
    from train.default import QUICK
    longer = dataclasses.replace(QUICK, stages=QUICK.stages[:2] + [dataclasses.replace(QUICK.stages[2], steps=3)])
    lines = []
    report3 = train(tmp_path / "longer", seed=0, log=lines.append, plan=longer, resume=True, work=work)
    assert any(l.startswith("resuming after stage_II ") for l in lines)
    assert len(report3["stage_III"]) == 2 and report3["plan"]["stages"][2]["steps"] == 3
    # a setting only the joint stages read (the understanding weight) keeps the VAE, text and cells stages
    lines = []
    train(tmp_path / "und", seed=0, log=lines.append, plan=dataclasses.replace(QUICK, und_weight=2.0),
          resume=True, work=work)
    assert any(l.startswith("resuming after cells ") for l in lines)
    assert any(l.startswith("stage_I:") for l in lines)
    lines = []
    train(tmp_path / "other", seed=1, quick=True, log=lines.append, resume=True, work=work)
    assert not any(l.startswith("resuming") for l in lines) and any(l.startswith("vae:") for l in lines)


def report_scale(folder):
    return json.loads((folder / "checkpoint" / "config.json").read_text())["vae_scale"]


def test_token_labels_name_what_each_token_shows():
    """Each labelled token's 16-px cell of the 64² render holds its object's colour; background
    tokens are plain background."""
    from shapes.splits import training_sample
    from shapes.world import COLORS, GRID, SHAPES
    for i in range(6):
        s = training_sample(0, i, size=64)
        lab = token_labels(s.scene)
        px = np.asarray(s.image)
        assert (lab[:, 0] != NONE).sum() == len(s.scene.objects)
        for k in range(GRID * GRID):
            cell = px[(k // GRID) * 16:(k // GRID + 1) * 16, (k % GRID) * 16:(k % GRID + 1) * 16].reshape(-1, 3)
            if lab[k, 0] == NONE:
                assert lab[k, 1] == NONE and (cell == 255).all()
            else:
                want = COLORS[list(COLORS)[lab[k, 1] - 1]]
                assert (np.abs(cell.astype(int) - want).sum(1) == 0).sum() > 30, (i, k)
                assert SHAPES[lab[k, 0] - 1] in [o.shape for o in s.scene.objects]


def test_flipped_labels_are_the_labels_of_the_mirrored_scene():
    from shapes.splits import training_sample
    from shapes.world import Obj, Scene
    from train.vae import flip_labels
    for i in range(8):
        sc = training_sample(0, i, size=None).scene
        mirrored = Scene(tuple(Obj(o.shape, o.color, 1.0 - o.cx, o.cy, o.r) for o in sc.objects), sc.background)
        assert torch.equal(flip_labels(token_labels(sc)[None])[0], token_labels(mirrored))


def test_latent_code_pulls_each_half_to_its_factor_and_does_not_depend_on_scale():
    from shapes.world import GRID
    from train.vae import LatentCode
    torch.manual_seed(0)
    code = LatentCode(16)
    labels = torch.stack([token_labels(s) for s in World.build(32, seed=1).scenes])        # (32, 16, 2)
    lab = labels.reshape(-1, 2)
    with torch.no_grad():  # each token on its colour's point and its shape's, rescaled to the batch std 1
        u = torch.cat([code.color[lab[:, 1]], code.shape[lab[:, 0]]], dim=1)
        s = u.std()
        code.color /= s
        code.shape /= s
        u = u / s
    mean = u.reshape(32, GRID, GRID, 16).permute(0, 3, 1, 2)
    on = code.loss(mean, labels)
    shuffled = code.loss(mean, labels[torch.randperm(32)])
    assert torch.isfinite(on) and torch.isfinite(shuffled) and on < 0.05 * shuffled
    # the loss does not depend on the latents' overall scale (the encoder cannot buy margin by growing)
    assert torch.allclose(code.loss(mean * 7.0, labels), code.loss(mean, labels), rtol=1e-4)
    # each half answers for its factor alone: what a wrong colour costs does not depend on the shape half
    wrong = labels.clone()
    wrong[..., 1] = torch.where(wrong[..., 1] > 0, wrong[..., 1] % 6 + 1, wrong[..., 1])
    noisy = mean.clone()
    noisy[:, 8:] = mean[torch.randperm(32), 8:]  # other tokens' shape halves: the batch std stays as it was
    assert code.loss(mean, wrong) > on
    assert torch.allclose(code.loss(noisy, wrong) - code.loss(noisy, labels),
                          code.loss(mean, wrong) - code.loss(mean, labels), rtol=1e-3, atol=1e-4)


def test_vae_training_with_the_latent_code_lowers_it_and_keeps_reconstructing(small):
    from train.vae import train_vae
    world, _ = small
    torch.manual_seed(0)
    vae = Harmon(preset("shapes")).vae
    hist = train_vae(vae, {64: world.images(64)}, 40, 8, 2e-3, log=lambda s: None,
                     labels=world.token_labels(), code_weight=0.1)
    assert all(np.isfinite(h["code"]) and np.isfinite(h["l1"]) for h in hist)
    assert hist[-1]["code"] < 0.5 * hist[0]["code"] and hist[-1]["l1"] < hist[0]["l1"]
