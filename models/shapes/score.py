"""ShapesEval's scoring: GenEval's rules on our detections, and exact-match VQA accuracy.

`evaluate` is GenEval's evaluate() (evaluation/evaluate_images.py) with two substitutions: the
detector is ours (detect.py; its template IoU stands in for Mask2Former's confidence) and an
object's colour is the detector's palette colour instead of a CLIP zero-shot guess. Scores follow
GenEval's summary_scores.py: accuracy per tag, overall = mean of the per-tag accuracies.

Command line, on a folder in GenEval's layout (what `npm run harmon -- generate --prompts` writes):
    scripts/py -m shapes.score DIR [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import re
import string
import sys
from pathlib import Path

from PIL import Image

from .captions import NUMBERS, TAGS
from .detect import Detection, detect
from .world import relative_position

# Minimum template IoU for a component to count as an object (GenEval: Mask2Former confidence
# > 0.3). Measured on renders: >= 0.91 clean at 64 px, >= 0.78 with noise sigma 8-12 and blur
# 1-3 px; speckle around heavily degraded edges mostly scores 0.2-0.3. GenEval's stricter
# threshold for counting (0.9) guards against duplicate detections of one object, which a
# connected-component detector cannot produce, so one threshold serves all tags here.
THRESHOLD = 0.5


def group(detections: list[Detection], threshold: float = THRESHOLD) -> dict[str, list[Detection]]:
    """Detections per class above the threshold, most confident first (GenEval's order)."""
    out: dict[str, list[Detection]] = {}
    for d in sorted(detections, key=lambda d: -d.score):
        if d.score > threshold:
            out.setdefault(d.shape, []).append(d)
    return out


def evaluate(detections: list[Detection], meta: dict) -> tuple[bool, str]:
    """GenEval's rule for one image: (correct, reasons for failure)."""
    objects = group(detections)
    correct, reason, matched_groups = True, [], []
    for req in meta.get("include", []):
        cls, count = req["class"], req["count"]
        matched = True
        found = objects.get(cls, [])[:count]
        if len(found) < count:
            correct = matched = False
            reason.append(f"expected {cls}>={count}, found {len(found)}")
        else:
            if "color" in req:
                colors = [d.color for d in found]
                if colors.count(req["color"]) < count:
                    correct = matched = False
                    reason.append(f"expected {req['color']} {cls}>={count}, found "
                                  + ", ".join(colors))
            if "position" in req and matched:
                rel, target = req["position"]
                if matched_groups[target] is None:
                    correct = matched = False
                    reason.append(f"no target for {cls} to be {rel}")
                else:
                    for obj in found:
                        for tgt in matched_groups[target]:
                            true_rels = relative_position(obj.bbox, tgt.bbox)
                            if rel not in true_rels:
                                correct = matched = False
                                reason.append(f"expected {cls} {rel} target, found "
                                              f"{' and '.join(sorted(true_rels)) or 'no relation'}")
                                break
                        if not matched:
                            break
        matched_groups.append(found if matched else None)
    for req in meta.get("exclude", []):
        n = len(objects.get(req["class"], []))
        if n >= req["count"]:
            correct = False
            reason.append(f"expected {req['class']}<{req['count']}, found {n}")
    return correct, "\n".join(reason)


def evaluate_image(image: Image.Image, meta: dict) -> dict:
    dets = detect(image)
    ok, why = evaluate(dets, meta)
    return {"tag": meta["tag"], "prompt": meta["prompt"], "correct": ok, "reason": why,
            "detections": [d.to_dict() for d in dets]}


def summarize_geneval(results: list[dict]) -> dict:
    """Per-tag accuracy ({tag: {"correct", "total", "accuracy"}}) over results with "tag" and
    "correct", and overall = mean over the tags present (all six in a full run)."""
    tags: dict[str, dict] = {}
    for r in results:
        t = tags.setdefault(r["tag"], {"correct": 0, "total": 0})
        t["correct"] += bool(r["correct"])
        t["total"] += 1
    for t in tags.values():
        t["accuracy"] = t["correct"] / t["total"]
    order = [t for t in TAGS if t in tags] + sorted(set(tags) - set(TAGS))
    present = [tags[t]["accuracy"] for t in order]
    return {"tags": {t: tags[t] for t in order},
            "overall": sum(present) / len(present) if present else 0.0,
            "missing": [t for t in TAGS if t not in tags], "images": len(results)}


_DIGITS = {str(i): w for i, w in enumerate(NUMBERS)}


def normalize_answer(text: str) -> str:
    """Lower case, no punctuation, digits as words, no articles, single spaces; "left of" and
    "left" compare equal because the stem is what the question asks for."""
    text = text.lower().strip().translate(str.maketrans("", "", string.punctuation))
    words = [_DIGITS.get(w, w) for w in text.split() if w not in ("a", "an", "the")]
    text = " ".join(words)
    return re.sub(r"^(left|right) of$", r"\1", text)


def summarize_vqa(items: list[dict]) -> dict:
    """Exact match of normalised answers; items have "kind", "answer" and "prediction"."""
    kinds: dict[str, dict] = {}
    for it in items:
        k = kinds.setdefault(it["kind"], {"correct": 0, "total": 0})
        k["correct"] += normalize_answer(it["prediction"]) == normalize_answer(it["answer"])
        k["total"] += 1
    for k in kinds.values():
        k["accuracy"] = k["correct"] / k["total"]
    total = sum(k["total"] for k in kinds.values())
    return {"kinds": kinds, "accuracy": sum(k["correct"] for k in kinds.values()) / total
            if total else 0.0, "items": total}


def report(geneval: dict | None = None, vqa: dict | None = None) -> tuple[str, dict]:
    """The table printed by ShapesEval, and the JSON-able dict written beside it."""
    lines = []
    if geneval:
        lines += ["ShapesEval (GenEval rules)", f"{'category':<16}{'accuracy':>10}{'correct':>12}"]
        for tag, t in geneval["tags"].items():
            lines.append(f"{tag:<16}{t['accuracy']:>10.2%}{t['correct']:>7} / {t['total']:<4}")
        lines.append(f"{'overall':<16}{geneval['overall']:>10.4f}   (mean of "
                     f"{len(geneval['tags'])} categories, {geneval['images']} images)")
        if geneval["missing"]:
            lines.append(f"missing categories: {', '.join(geneval['missing'])}")
    if vqa:
        lines += ["", "VQA (exact match)", f"{'kind':<16}{'accuracy':>10}{'correct':>12}"]
        for kind, k in vqa["kinds"].items():
            lines.append(f"{kind:<16}{k['accuracy']:>10.2%}{k['correct']:>7} / {k['total']:<4}")
        lines.append(f"{'all':<16}{vqa['accuracy']:>10.2%}{'':>7}   ({vqa['items']} items)")
    return "\n".join(lines), {"geneval": geneval, "vqa": vqa}


def score_folder(root: Path) -> list[dict]:
    """Evaluate every image of a GenEval-layout folder: root/NNNNN/metadata.jsonl and
    root/NNNNN/samples/NNNN.png."""
    results = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir() and p.name.isdigit()):
        meta = json.loads((sub / "metadata.jsonl").read_text())
        for png in sorted((sub / "samples").glob("*.png")):
            if re.fullmatch(r"\d+\.png", png.name):
                r = evaluate_image(Image.open(png), meta)
                results.append({"filename": str(png), **r})
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score a GenEval-layout folder (or one image) with ShapesEval.")
    ap.add_argument("folder", type=Path, help="a GenEval-layout folder, or with --meta one image")
    ap.add_argument("--meta", help="the image's GenEval metadata as JSON: prints its verdict as JSON")
    ap.add_argument("--json", type=Path, help="write the summary and per-image results here")
    args = ap.parse_args(argv)
    if args.meta:
        print(json.dumps(evaluate_image(Image.open(args.folder), json.loads(args.meta))))
        return 0
    results = score_folder(args.folder)
    text, summary = report(summarize_geneval(results))
    print(text)
    if args.json:
        args.json.write_text(json.dumps({**summary, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
