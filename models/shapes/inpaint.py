"""ShapesInpaint: an inpainting check built from the world, scored by the detector.

A case is a scene of 2-4 objects (all of different shapes), one of them "removed": the 16-px tokens
its box touches are masked (white = regenerate), and the prompt asks for another object there, of
another shape and another colour. The generated image is correct when

- inside: the masked region holds exactly one detected object, the asked one (shape and colour;
  an object is in the region when its box centre is), and
- outside: the objects outside the region are the scene's other objects, unchanged (each found
  again with its shape, its colour and a box overlapping the original's by IoU >= 0.5, and
  nothing else found there).

Prompt phrasing. The model's text-to-image training pairs a caption with the whole image it
describes, and a caption's scene holds exactly the objects the caption names (captions.py). In
inpainting the known tokens are part of the finished image, so the caption that is true of that
image is its full description ("describe", the default): captions.describe() of the scene after
the edit, e.g. "a red circle, a purple star and a blue square". The other phrasing, the asked
object alone in the world's words ("object": "a purple star"), is kept in the metadata and can be
chosen with --phrasing object; in training that text always means an image holding that one
object only, which the known tokens contradict.

Held-out: the two categories differ in the asked object. "inpaint_heldout" asks for a held-out
colour-shape pair (splits.HELD_PAIRS: never drawn or named in training), so the edited scene was
never seen; "inpaint_seen" asks for a pair seen in training. The other objects are always seen
pairs. Overall = the mean of the two categories' accuracies (as GenEval's overall).

Masks are token-aligned whatever the world's layout: the region is the union of the 16-px tokens
that the removed object's box touches, and a scene is redrawn when that region would touch any
other object's box (in a grid world with 16-px cells at 64 px the region is exactly the removed
object's cell).

    scripts/py -m shapes.inpaint prepare DIR [--quick] [--cases 48] [--size 64] [--seed 0]
                                             [--phrasing describe|object]
    scripts/py -m shapes.inpaint score DIR [--label ...]

`prepare` writes DIR/prompts.jsonl (one line per case: "prompt", "image" and "mask" paths relative
to DIR, and the case: "tag", scenes, region, removed and asked objects), DIR/scenes/, DIR/masks/
and DIR/targets/ (the scene as it should come out, rendered). `npm run harmon -- generate --prompts
DIR/prompts.jsonl --keep-pixels --out DIR/images` then writes the results in GenEval's layout;
`score` detects and judges them, prints the table and writes DIR/results.json.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from .captions import article, describe
from .detect import Detection, detect
from .score import THRESHOLD
from .splits import HELD_PAIRS, TRAIN
from .world import COLORS, SHAPES, Obj, Scene, Spec, render, sample_scene

STRIDE = 16                 # pixels per token side (the VAE's patch): masks cover whole tokens
TAGS = ("inpaint_heldout", "inpaint_seen")
PHRASINGS = ("describe", "object")
MIN_OBJECTS, MAX_OBJECTS = 2, 4
BOX_IOU = 0.5               # an outside object counts as unchanged when re-found this close


def token_region(obj: Obj, size: int, stride: int = STRIDE) -> tuple[int, int, int, int]:
    """The pixels (x0, y0, x1, y1; x1, y1 exclusive) of the tokens that the object's box touches."""
    lo = [math.floor(round(v * size, 6) / stride) * stride for v in obj.bbox[:2]]
    hi = [math.ceil(round(v * size, 6) / stride) * stride for v in obj.bbox[2:]]
    return (max(lo[0], 0), max(lo[1], 0), min(hi[0], size), min(hi[1], size))


def _touches(obj: Obj, region, size: int) -> bool:
    x0, y0, x1, y1 = (v * size for v in obj.bbox)
    return x0 < region[2] and region[0] < x1 and y0 < region[3] and region[1] < y1


def _pick(rng: np.random.Generator, items):
    items = list(items)
    return items[rng.integers(len(items))]


def _seen_colors(shape: str) -> list[str]:
    return [c for c in COLORS if TRAIN.pair(c, shape)]


def make_case(seed: int, index: int, size: int = 64, phrasing: str = "describe") -> dict:
    """Case `index` of set `seed` (a function of both only): the prompts.jsonl line, less the file
    names, plus the Scene objects under "_source" and "_target"."""
    if phrasing not in PHRASINGS:
        raise ValueError(f"phrasing must be one of {PHRASINGS}, got {phrasing!r}")
    rng = np.random.default_rng([seed, 3, index])
    tag = TAGS[index % len(TAGS)]
    for _ in range(200):
        n = int(rng.integers(MIN_OBJECTS, MAX_OBJECTS + 1))
        shapes = [str(s) for s in rng.permutation(SHAPES)[: n + 1]]
        *context_shapes, removed_shape, asked_shape = shapes
        objects = [(s, _pick(rng, _seen_colors(s))) for s in context_shapes + [removed_shape]]
        removed_color = objects[-1][1]
        pool = ([c for c, s in sorted(HELD_PAIRS) if s == asked_shape] if tag == "inpaint_heldout"
                else _seen_colors(asked_shape))
        pool = [c for c in pool if c != removed_color]
        if not pool:
            continue
        asked_color = _pick(rng, pool)
        source = sample_scene(rng, Spec(objects))
        removed = source.objects[-1]
        region = token_region(removed, size)
        context = source.objects[:-1]
        if any(_touches(o, region, size) for o in context):
            continue            # a neighbour would be cut by the mask: draw another scene
        asked = replace(removed, shape=asked_shape, color=asked_color)
        target = Scene(context + (asked,), source.background)
        prompts = {"describe": describe(target), "object": article(f"{asked_color} {asked_shape}")}
        return {
            "tag": tag, "prompt": prompts[phrasing], "phrasing": phrasing, "prompts": prompts,
            "size": size, "region": list(region),
            "removed": {"class": removed.shape, "color": removed.color},
            "asked": {"class": asked_shape, "color": asked_color},
            "source": source.to_dict(), "target": target.to_dict(),
            "_source": source, "_target": target,
        }
    raise RuntimeError(f"could not build inpainting case {index} of seed {seed}")


def mask_image(region, size: int) -> Image.Image:
    """White (255) on the region, black elsewhere: the engine's mask (>= 128 = regenerate)."""
    m = np.zeros((size, size), np.uint8)
    x0, y0, x1, y1 = region
    m[y0:y1, x0:x1] = 255
    return Image.fromarray(m, "L")


def prepare(out: Path, quick: bool = False, cases: int = 48, size: int = 64, seed: int = 0,
            phrasing: str = "describe") -> list[dict]:
    """Writes the set (see the module doc); returns the prompts.jsonl lines."""
    n = len(TAGS) * 2 if quick else cases
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("scenes", "masks", "targets"):
        (out / sub).mkdir(exist_ok=True)
    lines = []
    for i in range(n):
        case = make_case(seed, i, size, phrasing)
        source, target = case.pop("_source"), case.pop("_target")
        name = f"{i:04d}.png"
        render(source, size).save(out / "scenes" / name)
        mask_image(case["region"], size).save(out / "masks" / name)
        render(target, size).save(out / "targets" / name)
        lines.append({"prompt": case.pop("prompt"), "image": f"scenes/{name}", "mask": f"masks/{name}",
                      "target_image": f"targets/{name}", **case})
    (out / "prompts.jsonl").write_text("".join(json.dumps(l) + "\n" for l in lines))
    print(f"{n} inpainting cases ({', '.join(TAGS)}; {phrasing} prompts, {size} px) → {out}")
    return lines


def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def judge(detections: list[Detection], meta: dict, scale: float = 1.0) -> dict:
    """The verdict for one image's detections (pixel coordinates of an image `scale` times the
    case's size): inside, outside, correct and the reasons for a failure."""
    dets = [d for d in detections if d.score > THRESHOLD]
    x0, y0, x1, y1 = (v * scale for v in meta["region"])
    within = [x0 <= d.center[0] < x1 and y0 <= d.center[1] < y1 for d in dets]
    inside = [d for d, w in zip(dets, within) if w]
    outside = [d for d, w in zip(dets, within) if not w]
    want = meta["asked"]
    reasons = []
    found = [d for d in inside if d.shape == want["class"] and d.color == want["color"]]
    if not found:
        seen = ", ".join(f"{d.color} {d.shape}" for d in inside) or "nothing"
        reasons.append(f"expected {article(want['color'] + ' ' + want['class'])} in the mask, found {seen}")
    elif len(inside) > 1:
        reasons.append(f"expected only the {want['color']} {want['class']} in the mask, found {len(inside)} objects")
    inside_ok = bool(found) and len(inside) == 1
    # the objects outside: the target's others (all but the asked, which comes last), each
    # re-found once, and nothing more
    side = meta["size"] * scale
    unmatched, missing = list(outside), 0
    for o in Scene.from_dict(meta["target"]).objects[:-1]:
        box = tuple(v * side for v in o.bbox)
        hit = next((d for d in unmatched if d.shape == o.shape and d.color == o.color
                    and _iou(d.bbox, box) >= BOX_IOU), None)
        if hit is None:
            missing += 1
            reasons.append(f"the {o.color} {o.shape} outside the mask is gone or changed")
        else:
            unmatched.remove(hit)
    if unmatched:
        reasons.append("new outside the mask: " + ", ".join(f"{d.color} {d.shape}" for d in unmatched))
    outside_ok = missing == 0 and not unmatched
    return {"inside": inside_ok, "outside": outside_ok, "correct": inside_ok and outside_ok,
            "reason": "\n".join(reasons)}


def drift(result: Image.Image, source: Image.Image, region) -> float:
    """Mean absolute difference (0-255, over RGB) between result and source outside the region."""
    a = np.asarray(result.convert("RGB"), np.float32)
    b = np.asarray(source.convert("RGB").resize(result.size, Image.NEAREST), np.float32)
    keep = np.ones(a.shape[:2], bool)
    s = a.shape[1] / b.shape[1] if b.shape[1] else 1.0
    x0, y0, x1, y1 = (int(round(v * s)) for v in region)
    keep[y0:y1, x0:x1] = False
    return float(np.abs(a - b)[keep].mean()) if keep.any() else 0.0


def score_image(image: Image.Image, meta: dict, base: Path) -> dict:
    dets = detect(image)
    verdict = judge(dets, meta, image.width / meta["size"])
    source = Image.open(base / meta["image"])
    return {"tag": meta["tag"], "prompt": meta["prompt"], **verdict,
            "drift": round(drift(image, source, meta["region"]), 3),
            "detections": [d.to_dict() for d in dets]}


def score_folder(images: Path, base: Path) -> list[dict]:
    """Every image of a GenEval-layout folder (images/NNNNN/metadata.jsonl, samples/NNNN.png);
    `base` is the folder that the cases' "image" paths are relative to."""
    results = []
    for sub in sorted(p for p in images.iterdir() if p.is_dir() and p.name.isdigit()):
        meta = json.loads((sub / "metadata.jsonl").read_text())
        for png in sorted((sub / "samples").glob("*.png")):
            if re.fullmatch(r"\d+\.png", png.name):
                results.append({"filename": str(png), **score_image(Image.open(png), meta, base)})
    return results


def summarize(results: list[dict]) -> dict:
    """Per category: correct / total / accuracy, and the inside and outside rates; overall = the
    mean of the categories' accuracies; drift = the mean over all images."""
    tags: dict[str, dict] = {}
    for r in results:
        t = tags.setdefault(r["tag"], {"correct": 0, "inside": 0, "outside": 0, "total": 0})
        for k in ("correct", "inside", "outside"):
            t[k] += bool(r[k])
        t["total"] += 1
    for t in tags.values():
        t["accuracy"] = t["correct"] / t["total"]
    order = [t for t in TAGS if t in tags] + sorted(set(tags) - set(TAGS))
    n = len(results)
    return {"tags": {t: tags[t] for t in order},
            "overall": sum(tags[t]["accuracy"] for t in order) / len(order) if order else 0.0,
            "inside": sum(r["inside"] for r in results) / n if n else 0.0,
            "outside": sum(r["outside"] for r in results) / n if n else 0.0,
            "drift": sum(r["drift"] for r in results) / n if n else 0.0,
            "missing": [t for t in TAGS if t not in tags], "images": n}


def report(s: dict) -> str:
    lines = ["ShapesInpaint (asked object inside the mask, the others unchanged)",
             f"{'category':<18}{'accuracy':>10}{'correct':>12}{'inside':>9}{'outside':>9}"]
    for tag, t in s["tags"].items():
        lines.append(f"{tag:<18}{t['accuracy']:>10.2%}{t['correct']:>7} / {t['total']:<4}"
                     f"{t['inside']:>9}{t['outside']:>9}")
    lines.append(f"{'overall':<18}{s['overall']:>10.4f}   (mean of {len(s['tags'])} categories, "
                 f"{s['images']} images; inside {s['inside']:.2%}, outside {s['outside']:.2%}, "
                 f"pixel drift outside the mask {s['drift']:.2f}/255)")
    if s["missing"]:
        lines.append(f"missing categories: {', '.join(s['missing'])}")
    return "\n".join(lines)


def score(out: Path, label: str = "ShapesInpaint") -> dict:
    results = score_folder(out / "images", out)
    s = summarize(results)
    print(f"{label}\n{report(s)}")
    (out / "results.json").write_text(json.dumps({"label": label, **s, "results": results}, indent=1) + "\n")
    return s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m shapes.inpaint")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("dir", type=Path)
    p.add_argument("--quick", action="store_true", help=f"{2 * len(TAGS)} cases, two per category")
    p.add_argument("--cases", type=int, default=48)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--phrasing", choices=PHRASINGS, default="describe")
    s = sub.add_parser("score")
    s.add_argument("dir", type=Path)
    s.add_argument("--label", default="ShapesInpaint")
    a = ap.parse_args(argv)
    if a.cmd == "prepare":
        if a.size % STRIDE or a.cases < 1:
            ap.error(f"--size must be a multiple of {STRIDE} and --cases at least 1")
        prepare(a.dir, a.quick, a.cases, a.size, a.seed, a.phrasing)
    else:
        score(a.dir, a.label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
