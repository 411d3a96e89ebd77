"""Train the embedded default: a small Harmon on the shapes world, from scratch, on the CPU.

    npm run train -- [--out models/default] [--seed 0] [--quick] [--resume] [--work DIR]

The recipe is the paper's, scaled down (one process, seeded, on 2 CPU cores). The world's objects
sit in a 4×4 grid of cells, one cell per VAE token at 64² (shapes.world.GRID), and every stage trains
at that size:
  0a. tokenizer: byte-level BPE with Qwen's chat special tokens, fitted on the world's text
  0b. the VAE (KL-16 architecture, 32 base channels) on 64² renders
  0c. the LLM's own language pretraining on the world's captions and question–answer text
      (Harmon starts from a pretrained Qwen; ours must learn its language somewhere)
  0d. cells (with `cell_steps` > 0; off in the shipped plan): generation targets each token's cell
      encoded alone, and the VAE decoder is tuned to draw scenes from such tokens (train.cells)
  I.   alignment: LLM frozen, MAR encoder/decoder, head and projections train
  II.  joint understanding + generation, everything but the VAE trains, 10% of the captions
       dropped to the unconditional prompt (classifier-free guidance), with an EMA
  III. the same at a lower learning rate, with an EMA
       (I–III: beside the diffusion loss, the token probe's cross-entropy on each masked token's shape
       and colour, read linearly from its conditioning z: train.probe)
  IV.  the diffusion head alone on (token, z) pairs of the frozen model: sampling starts at
       t = 999, where the first step multiplies an ε error by hundreds, so the head must be precise
       there (see losses.head_timesteps)
Generation masks 1 to N of the N tokens, uniformly: the package samples with one token per MAR step
at the end, so the last steps (one or two tokens still unknown) must be trained too.
Each stage ends with a checkpoint in the work folder (weights, the report so far, every random
stream); `--resume` skips the stages whose checkpoint is there, so one run can span sessions and
gives the same bytes as an uninterrupted one.
Then the converter's export writes `OUT/package` (the engine's package, checked against the
reference) and `OUT/checkpoint` (the same weights in the HF-format layout, for the reference).
`--quick` runs every stage for a few steps on a few samples (the tests use it).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from harmon.config import preset
from harmon.export.package import export_package, verify_package
from harmon.load import save_hf
from harmon.model import Harmon
from harmon.text import TextCodec
from harmon.tokenizer_build import build_tokenizer, save_tokenizer

from .data import Batcher, World, encode_latents
from .probe import TokenProbe
from .losses import (conditioning, diffusion_loss, generation_loss, head_timesteps, last_step_error, mask_count,
                     text_loss, understanding_loss)
from .cells import cell_latents, tune_decoder
from .vae import latent_scale, lr_at, train_vae

# Sampling settings the shipped package proposes (manifest "defaults"). 8 MAR steps on the 4×4 grid: with
# the reference on ShapesEval (seed + prompt index) 8 steps scored 0.326 and 16 (one token per step)
# 0.336, the same within noise, for half the graph runs. The diffusion head keeps DESIGN's 100 sampling
# steps: the first step's error amplification (losses.LAST_T) is ≈ 4× smaller than at 25. Per image
# the head costs N·S·W²·(5R+2)·4 ≈ 1.8 GFLOP (N 16, S 100, W 128, R 3).
DEFAULTS = {"steps": 8, "cfg": 3.0, "cfg_schedule": "constant", "temperature": 1.0, "size": 64}
DEFAULT_SAMPLING_STEPS = 100


@dataclass
class Stage:
    name: str
    size: int
    steps: int
    lr: float
    freeze_llm: bool = False
    drop: float = 0.1            # share of captions replaced by the unconditional prompt
    ema: float = 0.0
    probe: float = 0.0           # weight of the token probe's loss (train.probe) next to the diffusion loss
    probe_objects: float = 1.0   # weight of object tokens against background in the probe's loss


@dataclass
class Plan:
    samples: int
    vae_steps: int
    vae_batch: int
    text_steps: int
    gen_batch: int
    und_batch: int
    stages: list[Stage] = field(default_factory=list)
    head_steps: int = 0
    head_pairs: int = 0          # forward batches (of gen_batch images) that make stage IV's pairs
    head_batch: int = 4096
    und_weight: float = 1.0      # weight of the understanding loss against the generation loss
    und_balance: bool = False    # understanding questions drawn kind first (data.Batcher.questions)
    drop_fixed: bool = False     # no question whose answer never varies in training (data.World.without_fixed_answers)
    cell_steps: int = 0          # > 0: generation targets each token's cell alone, decoder tuned this long (train.cells)
    vae_code: float = 0.0        # weight of the VAE's latent code loss (train.vae.LatentCode)


# Every stage trains at 64², the shipped size: the world's objects sit in a 4×4 grid of 16-px cells,
# one cell per token at 64² (shapes.world.GRID), so a smaller canvas would show a different world.
# The token probe (train.probe) at weight 1 in every joint stage: from the same VAE and text stages,
# the plan without it scored 0.27 on ShapesEval and its conditioning z told a masked object token
# apart 4% of the time; with it 0.39, and 91% (README, "The embedded default").
# The VAE's factorised latent code (train.vae.LatentCode) at weight 0.3: on the validation set
# (engine, seeds 0 / 1000) 0.601 / 0.562 against 0.398 / 0.468 without it, its first step draws the
# caption's colour 0.98 of the time at CFG 3 against 0.71; held-out answers 301/960 against 329/960
# (README, "The factorised code").
# Neither the cells stage nor balanced questions (und_balance), measured on that VAE and text stage: the
# cells stage drew better (validation 0.664 / 0.621) but broke inpainting (the rest kept 40% against
# 94%) and answered held-out questions worse (131/480 against 145/480); balanced questions lifted seen
# position answers from chance (20 → 28/40) and lowered held-out ones (README, "The cells stage on
# the coded VAE, and balanced questions"). Nor drop_fixed, measured on that VAE: held-out position
# answers rose to chance (29 → 42/80) and held-out answers to 177/480, but the validation set read
# the same within noise (0.562 / 214 answers against 0.582 / 216), inpainting lost its 3/48, and one
# run cannot tell the rise from run-to-run noise (README, "Questions whose answer never varies").
FULL = Plan(samples=16000, vae_steps=1800, vae_batch=16, text_steps=600, gen_batch=64, und_batch=48, stages=[
    Stage("I", 64, 300, 1e-3, freeze_llm=True, drop=0.0, probe=1.0),
    Stage("II", 64, 2500, 1e-3, ema=0.999, probe=1.0),
    Stage("III", 64, 800, 4e-4, ema=0.998, probe=1.0),
], head_steps=2500, head_pairs=100, vae_code=0.3)
QUICK = Plan(samples=48, vae_steps=4, vae_batch=4, text_steps=2, gen_batch=4, und_batch=4, stages=[
    Stage("I", 64, 2, 1e-3, freeze_llm=True, drop=0.0, probe=1.0),
    Stage("II", 64, 2, 1e-3, ema=0.9, probe=1.0),
    Stage("III", 64, 2, 6e-4, ema=0.9, probe=1.0),
], head_steps=2, head_pairs=2, head_batch=64, cell_steps=2, vae_code=0.1,
   und_balance=True, drop_fixed=True)


def init_weights(model: Harmon) -> None:
    """MAR's initialisation: xavier linears, small learned embeddings, and the diffusion head's
    adaLN modulations and output layer at zero (each res-block starts as the identity)."""
    mar = model.mar
    for m in list(mar.modules()) + list(model.proj_in) + list(model.proj_out):
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    for p in (mar.fake_latent, mar.mask_token, mar.encoder_pos_embed_learned,
              mar.decoder_pos_embed_learned, mar.diffusion_pos_embed_learned):
        nn.init.normal_(p, std=0.02)
    net = mar.diffloss.net
    for blk in net.res_blocks:
        nn.init.zeros_(blk.adaLN_modulation[-1].weight)
        nn.init.zeros_(blk.adaLN_modulation[-1].bias)
    for m in (net.final_layer.adaLN_modulation[-1], net.final_layer.linear):
        nn.init.zeros_(m.weight)
        nn.init.zeros_(m.bias)


class EMA:
    def __init__(self, model: nn.Module, decay: float):
        self.decay, self.n = decay, 0
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.n += 1
        d = min(self.decay, (1 + self.n) / (10 + self.n))  # short runs: don't average in the start
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point:
                self.shadow[k].mul_(d).add_(v.detach(), alpha=1 - d)


def _optimizer(params, lr):
    decay = [p for p in params if p.ndim >= 2]
    rest = [p for p in params if p.ndim < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.02}, {"params": rest, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.95))


def _set_lr(opt, lr):
    for g in opt.param_groups:
        g["lr"] = lr


def train_text(model: Harmon, batcher: Batcher, n: int, steps: int, batch: int, lr: float, log) -> list[dict]:
    params = list(model.llm.parameters())
    opt = _optimizer(params, lr)
    history, t0 = [], time.time()
    for step in range(steps):
        _set_lr(opt, lr_at(step, steps, lr, max(1, steps // 10)))
        loss = text_loss(model, *batcher.text(batcher.rng.integers(0, n, batch)))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step % 50 == 0 or step == steps - 1:
            history.append({"step": step, "loss": loss.item(), "s": round(time.time() - t0, 1)})
            log(f"  text {step:5d}/{steps}  loss {loss.item():.3f}  {time.time() - t0:.0f}s")
    return history


def train_stage(model: Harmon, stage: Stage, batcher: Batcher, latents: torch.Tensor, plan: Plan, log,
                probe: TokenProbe | None = None, gen_latents: torch.Tensor | None = None) -> list[dict]:
    """A joint stage: generation on `gen_latents` (default `latents`), understanding on `latents`."""
    gen_latents = latents if gen_latents is None else gen_latents
    model.llm.requires_grad_(not stage.freeze_llm)
    params = [p for n_, p in model.named_parameters() if p.requires_grad and not n_.startswith("vae.")]
    probe = probe if stage.probe else None
    labels = batcher.world.token_labels() if probe else None
    opt = _optimizer(params + (list(probe.parameters()) if probe else []), stage.lr)
    ema = EMA(model, stage.ema) if stage.ema else None
    n, N = len(latents), latents.shape[1] * latents.shape[2]
    history, t0, avg = [], time.time(), None
    for step in range(stage.steps):
        _set_lr(opt, lr_at(step, stage.steps, stage.lr, max(1, stage.steps // 20)))
        gi = batcher.rng.integers(0, n, plan.gen_batch)
        ids, pm = batcher.generation(gi, stage.drop)
        lg, la = generation_loss(model, gen_latents[gi], ids, pm, mask_count(N, low=1 / N), probe,
                                 labels[gi] if probe else None, stage.probe_objects)
        ui, qs = batcher.questions(plan.und_batch, plan.und_balance)
        lu = understanding_loss(model, latents[ui], *batcher.understanding(ui, qs))
        loss = lg + plan.und_weight * lu + (stage.probe * la if probe else 0.0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if ema:
            ema.update(model)
        cur = np.array([lg.item(), lu.item(), la.item() if probe else 0.0])
        avg = cur if avg is None else 0.95 * avg + 0.05 * cur
        if step % 50 == 0 or step == stage.steps - 1:
            rec = {"step": step, "gen": float(avg[0]), "und": float(avg[1]), "s": round(time.time() - t0, 1)}
            extra = ""
            if probe:
                rec["probe"] = float(avg[2])
                extra = f"  probe {avg[2]:.3f}"
            history.append(rec)
            log(f"  stage {stage.name} {step:5d}/{stage.steps} {stage.size}px  gen {avg[0]:.4f}  und {avg[1]:.4f}{extra}  "
                f"{time.time() - t0:.0f}s")
    if ema:
        model.load_state_dict(ema.shadow)
    model.llm.requires_grad_(True)
    return history


@torch.no_grad()
def head_pairs(model: Harmon, batcher: Batcher, latents: torch.Tensor, batches: int, batch: int,
               drop: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """(clean token, conditioning z) pairs from the frozen model, as stage III's loss draws them."""
    n, N = len(latents), latents.shape[1] * latents.shape[2]
    xs, zs = [], []
    for _ in range(batches):
        gi = batcher.rng.integers(0, n, batch)
        x, z, _ = conditioning(model, latents[gi], *batcher.generation(gi, drop), mask_count(N, low=1 / N))
        xs.append(x)
        zs.append(z)
    return torch.cat(xs), torch.cat(zs)


def train_head(model: Harmon, batcher: Batcher, latents: torch.Tensor, plan: Plan, lr: float, log) -> list[dict]:
    """Stage IV. The rest of the model is frozen, so its conditioning is computed once for many
    (token, z) pairs and the small head then trains on large batches of them, a quarter at t = 999."""
    model.eval()
    x_all, z_all = head_pairs(model, batcher, latents, plan.head_pairs, plan.gen_batch)
    held = min(1024, len(x_all) // 8)  # the first `held` pairs measure the t = 999 error, never trained on
    x_tr, z_tr, x_ho, z_ho = x_all[held:], z_all[held:], x_all[:held], z_all[:held]
    net = model.mar.diffloss.net
    net.train()
    params = list(net.parameters())
    opt = _optimizer(params, lr)
    steps = plan.head_steps
    history, t0, avg = [], time.time(), None
    for step in range(steps):
        _set_lr(opt, lr_at(step, steps, lr, max(1, steps // 20), floor=0.0))
        idx = torch.randint(0, len(x_tr), (plan.head_batch,))
        loss = diffusion_loss(net, x_tr[idx], z_tr[idx], repeat=1, timesteps=head_timesteps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        avg = loss.item() if avg is None else 0.95 * avg + 0.05 * loss.item()
        if step % 250 == 0 or step == steps - 1:
            err = last_step_error(net, x_ho, z_ho)
            history.append({"step": step, "gen": avg, "eps_error_t999": err, "s": round(time.time() - t0, 1)})
            log(f"  head {step:5d}/{steps}  loss {avg:.4f}  ε error at t=999 {err:.5f}  {time.time() - t0:.0f}s")
    model.train()
    return history


STAGES = ("vae", "text", "cells", "stage_I", "stage_II", "stage_III", "stage_IV")


def model_config():
    """The embedded default's architecture: the converter's `shapes` preset (64², 4×4 tokens)."""
    return preset("shapes")


# What each stage reads from the plan, besides the seed and the stages before it: a stage's checkpoint
# is reused only while these settings (and every earlier stage's) are unchanged, so a later stage can
# be retuned and the run resumed without training the VAE again.
STAGE_SETTINGS = {
    "vae": ("samples", "vae_steps", "vae_batch", "vae_code"),
    "text": ("text_steps", "gen_batch", "drop_fixed"),
    "cells": ("cell_steps",),
    "joint": ("gen_batch", "und_batch", "und_weight", "und_balance"),
    "stage_IV": ("head_steps", "head_pairs", "head_batch"),
}


def fingerprints(seed: int, plan_json: dict) -> dict[str, str]:
    """Per stage, what its checkpoint depends on: the seed and the settings it and every stage
    before it read (STAGE_SETTINGS, the joint stages' own entries)."""
    names = [f"stage_{s['name']}" for s in plan_json["stages"]]
    out, fp = {}, {"seed": seed}
    for name in STAGES:
        if name in names:
            keys = STAGE_SETTINGS["joint"]
            fp = {**fp, name: plan_json["stages"][names.index(name)]}
        else:
            keys = STAGE_SETTINGS.get(name, ())
        fp = {**fp, **{k: plan_json[k] for k in keys}}
        out[name] = json.dumps(fp, sort_keys=True)
    return out


def _numpy_state() -> dict:
    """NumPy's global random state with its key as a list, so that a stage file loads with
    torch.load(weights_only=True) (which refuses arrays)."""
    state = np.random.get_state(legacy=False)
    return {**state, "state": {**state["state"], "key": state["state"]["key"].tolist()}}


def _set_numpy_state(state: dict) -> None:
    np.random.set_state({**state, "state": {**state["state"], "key": np.array(state["state"]["key"], dtype=np.uint32)}})


class StageStore:
    """Checkpoints after each stage (`WORK/<stage>.pt`: weights, the report so far, every random
    stream), so a run can stop anywhere and `--resume` continue after the last finished stage,
    across sessions. Only files written under the same seed and the same settings for their stage
    and the ones before it are reused: the first stage without one, and every stage after it, trains
    again (and overwrites its file)."""

    def __init__(self, work: Path, fingerprints: dict[str, str]):
        self.work, self.fingerprints = Path(work), fingerprints

    def path(self, name: str) -> Path:
        return self.work / f"{name}.pt"

    def last_done(self) -> str | None:
        done = None
        for name in STAGES:
            if not self.path(name).is_file() or self.load(name, check=False)["fingerprint"] != self.fingerprints[name]:
                break
            done = name
        return done

    def save(self, name: str, model: Harmon, batcher: Batcher, report: dict, extra: dict | None = None) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        state = {"fingerprint": self.fingerprints[name], "model": model.state_dict(), "vae_scale": model.cfg.vae.scale,
                 "report": report, "rng": {"batcher": batcher.rng.bit_generator.state, "torch": torch.get_rng_state(),
                                           "numpy": _numpy_state()}, **(extra or {})}
        tmp = self.path(name).with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(self.path(name))

    def load(self, name: str, check: bool = True) -> dict:
        # weights_only like every other load here: a stage file holds tensors, numbers, strings and lists only
        state = torch.load(self.path(name), map_location="cpu", weights_only=True)
        if check and state["fingerprint"] != self.fingerprints[name]:
            raise ValueError(f"{self.path(name)} was written by another plan or seed")
        return state


def train(out: Path, seed: int = 0, quick: bool = False, log=print, plan: Plan | None = None,
          resume: bool = False, work: Path | None = None) -> dict:
    plan = plan or (QUICK if quick else FULL)
    out = Path(out)
    torch.manual_seed(seed)
    np.random.seed(seed)
    t_start = time.time()
    plan_json = json.loads(json.dumps(plan, default=vars))
    store = StageStore(Path(work) if work else out / "stages", fingerprints(seed, plan_json))
    report: dict = {"seed": seed, "quick": quick, "plan": plan_json, "times": {}}

    log(f"world: {plan.samples} training samples (seed {seed})")
    world = World.build(plan.samples, seed)
    size = plan.stages[-1].size
    cfg = model_config()
    tok_dir = store.work / "tokenizer"
    if not (resume and (tok_dir / "tokenizer.json").is_file()):
        tok = build_tokenizer(cfg.llm.vocab_size, world.corpus())
        save_tokenizer(tok, tok_dir, model_max_length=cfg.llm.max_position_embeddings)
    codec = TextCodec.from_file(tok_dir / "tokenizer.json")
    if plan.drop_fixed:     # after the tokenizer, which learns the world's whole language either way
        world = world.without_fixed_answers()
    batcher = Batcher(world, codec, np.random.default_rng(seed))
    model = Harmon(cfg)
    init_weights(model)
    probe = TokenProbe(cfg.mar.decoder_width)  # training-only (train.probe); kept in the stage checkpoints

    done = store.last_done() if resume else None
    skip = STAGES.index(done) + 1 if done else 0
    latents = None
    if done:
        state = store.load(done)
        model.cfg.vae.scale = cfg.vae.scale = state["vae_scale"]
        model.load_state_dict(state["model"])
        if "probe" in state:
            probe.load_state_dict(state["probe"])
        report = {**state["report"], "plan": plan_json}
        batcher.rng.bit_generator.state = state["rng"]["batcher"]
        torch.set_rng_state(state["rng"]["torch"])
        _set_numpy_state(state["rng"]["numpy"])
        latents = store.load("vae")["latents"]
        log(f"resuming after {done} ({store.path(done)})")
    times = report["times"]

    def stage(name, fn, extra=None):
        if STAGES.index(name) < skip:
            return
        t = time.time()
        report[name] = fn()
        times[name] = round(time.time() - t, 1)
        log(f"{name}: {times[name]:.0f} s")
        store.save(name, model, batcher, report, {"probe": probe.state_dict(), **(extra() if extra else {})})

    def vae_stage():
        nonlocal latents
        t = time.time()
        images = world.images(size)
        times["render"] = round(time.time() - t, 1)
        hist = train_vae(model.vae, {size: images}, plan.vae_steps, plan.vae_batch, 2e-3, log,
                         world.token_labels() if plan.vae_code else None, plan.vae_code)
        model.cfg.vae.scale = cfg.vae.scale = round(latent_scale(model.vae, images[:2048]), 4)
        log(f"vae_scale = {cfg.vae.scale}")
        latents = encode_latents(model.vae, images)
        return hist

    stage("vae", vae_stage, extra=lambda: {"latents": latents})
    model.vae.requires_grad_(False)
    model.train()
    stage("text", lambda: train_text(model, batcher, len(world), plan.text_steps, plan.gen_batch, 2e-3, log))
    cells = store.load("cells")["cells"] if skip > STAGES.index("cells") else None

    def cells_stage():
        nonlocal cells
        if not plan.cell_steps:
            return []
        cells = cell_latents(model.vae, world.scenes, size)
        hist = tune_decoder(model.vae, cells, latents, world.images(size), plan.cell_steps, seed, log)
        model.train()
        return hist

    stage("cells", cells_stage, extra=lambda: {"cells": cells})
    gen = latents if cells is None else cells   # what generation trains on (train.cells)
    for st in plan.stages:
        stage(f"stage_{st.name}", lambda st=st: train_stage(model, st, batcher, latents, plan, log, probe, gen))
    stage("stage_IV", lambda: train_head(model, batcher, gen, plan, 5e-4, log))
    model.eval()

    t = time.time()
    for sub in ("package", "checkpoint"):
        shutil.rmtree(out / sub, ignore_errors=True)
    save_hf(model, tok_dir, out / "checkpoint")
    manifest = export_package(model, tok_dir, out / "package", defaults=DEFAULTS,
                              default_sampling_steps=DEFAULT_SAMPLING_STEPS, log=log)
    verify_package(out / "package")
    times["export"] = round(time.time() - t, 1)
    times["total"] = round(sum(v for k, v in times.items() if k != "total"), 1)
    times["this_run"] = round(time.time() - t_start, 1)
    report["package_bytes"] = sum(f["bytes"] for f in manifest["files"].values())
    report["parameters"] = sum(p.numel() for p in model.parameters())
    (out / "train_log.json").write_text(json.dumps(report, indent=1) + "\n")
    log(f"done in {times['total'] / 60:.1f} min of training (this run {times['this_run'] / 60:.1f} min); "
        f"package {report['package_bytes'] / 2**20:.1f} MiB, {report['parameters']:,} parameters → {out}")
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="npm run train --", description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="models/default", help="output folder (package/ and checkpoint/)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="a few steps per stage (for tests)")
    ap.add_argument("--resume", action="store_true",
                    help="continue after the last stage whose checkpoint is in the work folder")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1: on a shared 2-core machine two threads measured 4-9 s per VAE step "
                         "against 0.4-0.6 s with one)")
    ap.add_argument("--work", type=Path, default=None,
                    help="where stage checkpoints go (default: out/train-stages/seed<seed>, git-ignored)")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    work = a.work or Path("out/train-stages") / (f"seed{a.seed}" + ("-quick" if a.quick else ""))
    train(Path(a.out), a.seed, a.quick, log=lambda s: print(s, flush=True), resume=a.resume, work=work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
