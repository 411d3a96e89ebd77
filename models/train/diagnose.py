"""Why the embedded default draws the wrong picture: six measurements on a checkpoint.

    scripts/py -m train.diagnose [--checkpoint models/default/checkpoint] [--prompts 60] [--n 2]
                                 [--scenes 512] [--masked 1,16] [--first-step 3000] [--geometry 2000]
                                 [--held-out 2000]
                                 [--json FILE]

1. **Seen prompts.** ShapesEval's rules on prompts of the training distribution (GenEval-style
   captions of seen compositions, from a stream the training never drew: seed 1), through the
   reference at the package's settings, and how many objects the images hold against how many the
   prompts ask for (training scenes hold exactly the asked objects). A model that fails here is
   underfit; held-out generalisation is not yet the question.
2. **One token.** Training scenes with every token clean and seen but `m` masked, the true caption
   (or the unconditional prompt): the head samples the masked tokens (CFG 1, temperature 1), and each
   sample is labelled by its nearest clean token latent. P(exact | object) is how often an object
   cell comes back as that object; P(background | object) how often it comes back empty. With m = 1
   the caption and the 15 seen tokens determine the missing token. "objects drawn/true" is the share
   of masked tokens sampled as an object against the share that hold one: a model that knew how many
   objects were still missing would keep the two equal at every m.
3. **What z knows.** A linear probe fitted on the frozen conditioning z of the masked tokens (¾ of
   the rows) predicts their class on the rest: the information the head could use.
4. **What the first step draws of what z knows.** Training scenes of one object whose caption names
   its colour ("a red star"), every token masked (the first MAR step): linear probes read the
   object's shape and colour from z, and the head's samples (CFG 1 and the package's CFG) are judged
   by the same labelling: of the tokens drawn as objects, how many have the caption's shape, its
   colour. A probe near 1 with samples far below it puts the loss in the head, not in the text path.
5. **Where the VAE puts each class.** The training scenes' token latents, scaled as the head sees
   them, grouped by class (30 shape–colour pairs and background): the mean distance of a latent to
   its class's centroid (spread), the distance from each object class's centroid to the nearest
   other one, the same for two colours of one shape, and how often a token's nearest centroid is its
   own class. A head must land each sample in its class; closer classes forgive less.
6. **Where the VAE puts the held-out pairs.** Each held-out colour–shape pair (never drawn in
   training, shapes.splits.HELD_PAIRS) drawn alone in each of the 16 cells and encoded: how often
   linear read-outs of colour and of shape, fitted on the training scenes' object tokens (seen
   pairs only), read its token as its own colour and its own shape, and how often the VAE's decoder
   draws it back as that pair (the detector). Understanding a scene with a purple star
   starts here: a token that lands on a seen neighbour reads as that neighbour.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from harmon.load import load_hf
from harmon.sampler import make_schedule, sample_tokens
from harmon.text import TextCodec
from shapes import evalset
from shapes.score import score_folder, summarize_geneval
from shapes.splits import seen_prompts

from .data import Batcher, World, encode_latents
from .default import DEFAULTS, DEFAULT_SAMPLING_STEPS

def asked_objects(meta: dict) -> int:
    return sum(x["count"] for x in meta.get("include", []))


def seen_prompt_eval(checkpoint: Path, n_prompts: int, n: int) -> dict:
    """ShapesEval on seen prompts through the reference, package settings, seed + prompt index."""
    metas = seen_prompts(n_prompts)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        (out / "prompts.jsonl").write_text("".join(json.dumps(m) + "\n" for m in metas))
        (out / "vqa").mkdir()
        (out / "vqa" / "questions.jsonl").write_text("")
        evalset.reference(out, checkpoint, DEFAULTS["steps"], DEFAULT_SAMPLING_STEPS, DEFAULTS["cfg"],
                          DEFAULTS["temperature"], 0, n)
        results = score_folder(out / "images")
    summary = summarize_geneval(results)
    drawn = [len(r["detections"]) for r in results]
    return {"tags": summary["tags"], "overall": summary["overall"], "images": len(results),
            "objects_asked": float(np.mean([asked_objects(m) for m in metas])),
            "objects_drawn": float(np.mean(drawn))}


def token_classes(labels: torch.Tensor) -> torch.Tensor:
    """(…, 2) shape/colour labels (probe.token_labels) → one class per token, 0 = background."""
    return labels[..., 0] * 10 + labels[..., 1]


def nearest_class(x: torch.Tensor, bank: torch.Tensor, bank_cls: torch.Tensor) -> torch.Tensor:
    """The class of each row's nearest clean token latent."""
    return bank_cls[torch.cdist(x, bank).argmin(1)]


def token_verdicts(got: torch.Tensor, truth: torch.Tensor) -> dict:
    """Sampled vs true classes of the masked tokens → the rates of section 2."""
    obj, bg = truth != 0, truth == 0
    rate = lambda hit, of: float(hit[of].float().mean()) if of.any() else float("nan")
    return {"tokens": int(len(truth)), "objects": int(obj.sum()),
            # the share of masked tokens drawn as objects against the share that are: above 1, over-drawing
            "object_rate_sampled": float((got != 0).float().mean()), "object_rate_true": float(obj.float().mean()),
            "exact_given_object": rate(got == truth, obj), "background_given_object": rate(got == 0, obj),
            "object_given_background": rate(got != 0, bg)}


@torch.enable_grad()
def fit_linear(z: torch.Tensor, y: torch.Tensor, classes: int, steps: int = 400):
    """A linear read-out of class indices y from rows z (standardised on z): z' → predicted index."""
    mu, sd = z.mean(0), z.std(0) + 1e-6
    lin = torch.nn.Linear(z.shape[1], classes)
    opt = torch.optim.Adam(lin.parameters(), 1e-2, weight_decay=1e-4)
    for _ in range(steps):
        loss = F.cross_entropy(lin((z - mu) / sd), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return lambda x: lin((x - mu) / sd).argmax(1)


def linear_probe(z: torch.Tensor, y: torch.Tensor, steps: int = 400, seed: int = 0) -> dict:
    """Fit a linear read-out of class y from z on ¾ of the rows; accuracy on the rest (all, objects)."""
    torch.manual_seed(seed)
    classes = sorted(set(y.tolist()))
    yi = torch.tensor([classes.index(v) for v in y.tolist()])
    train = torch.randperm(len(z)) < int(len(z) * 0.75)
    read = fit_linear(z[train], yi[train], len(classes), steps)
    with torch.no_grad():
        hit = read(z[~train]) == yi[~train]
    obj = y[~train] != 0
    return {"accuracy": float(hit.float().mean()), "accuracy_on_objects": float(hit[obj].float().mean()) if obj.any() else float("nan"),
            "test_objects": int(obj.sum()), "classes": len(classes)}


@torch.no_grad()
def training_scenes(checkpoint: Path, scenes: int, seed: int):
    """The checkpoint (eval mode), the training stream's first `scenes` scenes (seen in training),
    their latents, token classes (scenes, N) and the bank of clean token latents samples are
    labelled by, and a batcher for their prompts."""
    model, tok = load_hf(checkpoint)
    model.eval()
    codec = TextCodec.from_file(tok / "tokenizer.json")
    world = World.build(scenes, 0)
    lat = encode_latents(model.vae, world.images(model.cfg.image_size))
    cls = token_classes(world.token_labels())
    bank, bank_cls = lat.reshape(-1, 16), cls.reshape(-1)
    return model, world, lat, cls, bank, bank_cls, Batcher(world, codec, np.random.default_rng(seed))


@torch.no_grad()
def one_token_tests(checkpoint: Path, scenes: int, masked=(1, 16), seed: int = 0) -> list[dict]:
    from .losses import conditioning  # the training loss's own masking, sequence layout and LLM pass

    model, world, lat, cls, bank, bank_cls, batcher = training_scenes(checkpoint, scenes, seed)
    N = cls.shape[1]
    sched = make_schedule(DEFAULT_SAMPLING_STEPS)
    net = model.mar.diffloss.net
    rows = []
    for m in masked:
        for prompt, drop in (("caption", 0.0), ("unconditional", 1.0)):
            torch.manual_seed(seed)
            ids, pm = batcher.generation(np.arange(scenes), drop)
            # fewer masked tokens per scene: more masks of each scene, for as many tokens in all
            draws = [conditioning(model, lat, ids, pm, m) for _ in range(max(1, N // (4 * m)))]
            z = torch.cat([d[1] for d in draws])
            truth = torch.cat([cls[d[2]] for d in draws])
            noise = torch.randn(z.shape[0], DEFAULT_SAMPLING_STEPS + 1, 16)
            got = nearest_class(sample_tokens(net, z, noise, sched, 1.0, 1.0), bank, bank_cls)
            row = {"masked": m, "prompt": prompt, **token_verdicts(got, truth)}
            if drop == 0.0:
                row["probe"] = linear_probe(z, truth)
            rows.append(row)
    return rows


@torch.no_grad()
def first_step_attributes(checkpoint: Path, scenes: int, cfgs=(1.0, DEFAULTS["cfg"]), seed: int = 0) -> dict:
    """Section 4: linear probes on z for shape and colour, and the head's samples at each CFG in `cfgs`."""
    from .losses import conditioning

    model, world, lat, cls, bank, bank_cls, batcher = training_scenes(checkpoint, scenes, seed)
    # one object, and the caption says its colour: the prompt alone fixes what the object should be
    rows = np.array([i for i, sc in enumerate(world.scenes)
                     if len(sc.objects) == 1 and sc.objects[0].color in world.captions[i].split()], dtype=int)
    if len(rows) == 0:
        raise ValueError(f"none of the first {scenes} training scenes is one object whose caption names its colour")
    N = cls.shape[1]
    z = conditioning(model, lat[rows], *batcher.generation(rows, 0.0), N)[1]
    zu = conditioning(model, lat[rows], *batcher.generation(rows, 1.0), N)[1]
    want = cls[rows].max(1).values.repeat_interleave(N)     # the object's class, on each of its scene's tokens
    out = {"scenes": int(len(rows)), "probe_shape": linear_probe(z, want // 10)["accuracy"],
           "probe_colour": linear_probe(z, want % 10)["accuracy"], "head": []}
    sched = make_schedule(DEFAULT_SAMPLING_STEPS)
    for cfg in cfgs:
        torch.manual_seed(seed)
        noise = torch.randn(z.shape[0], DEFAULT_SAMPLING_STEPS + 1, 16)
        cond = z if cfg == 1.0 else torch.cat([z, zu])
        got = nearest_class(sample_tokens(model.mar.diffloss.net, cond, noise, sched, cfg, 1.0)[: z.shape[0]], bank, bank_cls)
        drawn = got != 0
        share = lambda hit: float(hit[drawn].float().mean()) if drawn.any() else float("nan")
        out["head"].append({"cfg": cfg, "objects_drawn": int(drawn.sum()), "tokens": int(len(got)),
                            "shape_right": share(got // 10 == want // 10), "colour_right": share(got % 10 == want % 10)})
    return out


@torch.no_grad()
def latent_geometry(checkpoint: Path, scenes: int) -> dict:
    """Section 5 on the first `scenes` training scenes."""
    _, _, _, _, bank, bank_cls, _ = training_scenes(checkpoint, scenes, 0)
    return class_geometry(bank, bank_cls)


def class_geometry(bank: torch.Tensor, bank_cls: torch.Tensor) -> dict:
    """Token latents (M, 16) and their classes (token_classes, 0 = background) → section 5's numbers."""
    ks = bank_cls.unique()
    cents = torch.stack([bank[bank_cls == k].mean(0) for k in ks])
    spread = torch.stack([(bank[bank_cls == k] - c).norm(dim=1).mean() for k, c in zip(ks, cents)])
    d = torch.cdist(cents, cents).fill_diagonal_(float("inf"))
    obj = ks != 0
    same_shape = (ks[:, None] // 10 == ks[None] // 10) & obj[:, None] & obj[None]
    colour = d[same_shape & (d < float("inf"))]
    own = ks[torch.cdist(bank, cents).argmin(1)] == bank_cls
    return {"classes": int(obj.sum()), "tokens": int(len(bank)), "spread_objects": float(spread[obj].mean()),
            "spread_background": float(spread[~obj].mean()) if (~obj).any() else float("nan"),
            "nearest_other": float(d[obj].min(1).values.mean()), "nearest_other_min": float(d[obj].min(1).values.min()),
            "colour_mean": float(colour.mean()), "colour_min": float(colour.min()),
            "nearest_centroid_objects": float(own[bank_cls != 0].float().mean())}


@torch.no_grad()
def held_out_pairs(checkpoint: Path, scenes: int) -> dict:
    """Section 6: linear read-outs of colour and shape fitted on the object tokens of the first
    `scenes` training scenes, applied to each held-out pair drawn alone in every cell, and the
    detector's verdict on the decoder's image of each."""
    from PIL import Image
    from harmon.generate import to_bytes
    from shapes.detect import detect
    from shapes.splits import HELD_PAIRS
    from shapes.world import COLORS, RADIUS, SHAPES, Obj, Scene, cell_center
    from .data import render_batch
    model, _, _, _, bank, bank_cls, _ = training_scenes(checkpoint, scenes, 0)
    obj = bank_cls != 0
    torch.manual_seed(0)
    with torch.enable_grad():
        read_colour = fit_linear(bank[obj], bank_cls[obj] % 10 - 1, len(COLORS))
        read_shape = fit_linear(bank[obj], bank_cls[obj] // 10 - 1, len(SHAPES))
    size = model.cfg.image_size
    cells = range((size // 16) ** 2)
    pairs = {}
    for colour, shape in sorted(HELD_PAIRS):
        lat = encode_latents(model.vae, render_batch([Scene((Obj(shape, colour, *cell_center(k), RADIUS),))
                                                      for k in cells], size))
        z = torch.stack([lat[k].reshape(-1, 16)[k] for k in cells])  # each image's token at its object's cell
        back = sum([(d.shape, d.color) for d in detect(Image.fromarray(arr))] == [(shape, colour)]
                   for arr in to_bytes(model.vae.decode_tokens(lat)))
        pairs[f"{colour} {shape}"] = {
            "cells": len(cells), "decoded": back,
            "colour": int((read_colour(z) == list(COLORS).index(colour)).sum()),
            "shape": int((read_shape(z) == SHAPES.index(shape)).sum())}
    total = sum(p["cells"] for p in pairs.values())
    return {"pairs": pairs, **{k: sum(p[k] for p in pairs.values()) / total for k in ("colour", "shape", "decoded")}}


def report(seen: dict | None, tokens: list[dict], first: dict | None = None, geometry: dict | None = None,
           held: dict | None = None) -> str:
    lines = []
    if seen:
        tags = ", ".join(f"{t} {v['correct']}/{v['total']}" for t, v in seen["tags"].items())
        lines += [f"seen prompts ({seen['images']} images): overall {seen['overall']:.2f} ({tags})",
                  f"  objects per image: asked {seen['objects_asked']:.2f}, drawn {seen['objects_drawn']:.2f}"]
    if tokens:
        lines.append("one token (training scenes, the rest clean and seen; head at CFG 1, temperature 1):")
    for r in tokens:
        probe = r.get("probe")
        extra = (f"; linear probe on z: {probe['accuracy_on_objects']:.2f} of {probe['test_objects']} held-out object tokens"
                 if probe else "")
        lines.append(f"  masked {r['masked']:2d}, {r['prompt']:13s}: P(exact | object) {r['exact_given_object']:.2f}  "
                     f"P(background | object) {r['background_given_object']:.2f}  "
                     f"P(object | background) {r['object_given_background']:.2f}  "
                     f"objects drawn/true {r['object_rate_sampled']:.2f}/{r['object_rate_true']:.2f}  ({r['objects']} object tokens){extra}")
    if first:
        lines.append(f"first step, one object whose caption names its colour ({first['scenes']} scenes, all 16 tokens masked):")
        lines.append(f"  linear probe on z: shape {first['probe_shape']:.2f}, colour {first['probe_colour']:.2f}")
        for h in first["head"]:
            lines.append(f"  head at CFG {h['cfg']:g}: of {h['objects_drawn']} tokens drawn as objects (of {h['tokens']}), "
                         f"shape right {h['shape_right']:.2f}, colour right {h['colour_right']:.2f}")
    if geometry:
        g = geometry
        lines.append(f"token latents ({g['classes']} object classes, {g['tokens']} tokens; scaled, as the head sees them):")
        lines.append(f"  spread around the class centroid: objects {g['spread_objects']:.2f}, background {g['spread_background']:.2f}")
        lines.append(f"  nearest other centroid: mean {g['nearest_other']:.2f}, min {g['nearest_other_min']:.2f}; "
                     f"two colours of one shape: mean {g['colour_mean']:.2f}, min {g['colour_min']:.2f}")
        lines.append(f"  object tokens nearest their own centroid: {g['nearest_centroid_objects']:.3f}")
    if held:
        lines.append(f"held-out pairs, one object per cell: read as its colour {held['colour']:.2f}, its shape "
                     f"{held['shape']:.2f}; decoded back {held['decoded']:.2f}")
        lines.append("  " + "; ".join(f"{k} {p['colour']}/{p['shape']}/{p['decoded']}" for k, p in held["pairs"].items())
                     + " (colour/shape/decoded of 16)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/py -m train.diagnose", description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", type=Path, default=Path("models/default/checkpoint"))
    ap.add_argument("--prompts", type=int, default=60, help="seen prompts (0: skip section 1)")
    ap.add_argument("--n", type=int, default=2, help="images per seen prompt")
    ap.add_argument("--scenes", type=int, default=512, help="training scenes for sections 2 and 3")
    ap.add_argument("--masked", default="1,16", help="masked tokens per scene in sections 2 and 3 (comma-separated)")
    ap.add_argument("--first-step", type=int, default=3000, metavar="SCENES",
                    help="training scenes searched for section 4's one-object captions that name a colour (0: skip)")
    ap.add_argument("--geometry", type=int, default=2000, metavar="SCENES",
                    help="training scenes whose token latents section 5 measures (0: skip)")
    ap.add_argument("--held-out", type=int, default=2000, metavar="SCENES",
                    help="training scenes whose object tokens section 6's read-outs are fitted on (0: skip)")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    seen = seen_prompt_eval(a.checkpoint, a.prompts, a.n) if a.prompts else None
    tokens = one_token_tests(a.checkpoint, a.scenes, tuple(int(m) for m in a.masked.split(",")))
    first = first_step_attributes(a.checkpoint, a.first_step) if a.first_step else None
    geometry = latent_geometry(a.checkpoint, a.geometry) if a.geometry else None
    held = held_out_pairs(a.checkpoint, a.held_out) if a.held_out else None
    print(report(seen, tokens, first, geometry, held))
    if a.json:
        a.json.write_text(json.dumps({"seen_prompts": seen, "one_token": tokens, "first_step": first,
                                      "latent_geometry": geometry, "held_out_pairs": held}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
