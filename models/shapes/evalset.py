"""ShapesEval's files and the PyTorch reference's side of it.

    scripts/py -m shapes.evalset prepare DIR [--quick | --seen N] [--vqa M] [--size 64]
    scripts/py -m shapes.evalset reference DIR --checkpoint models/default/checkpoint [settings]
    scripts/py -m shapes.evalset score DIR [--engine-name ...]

`prepare` writes DIR/prompts.jsonl (GenEval metadata lines: the held-out prompts) and DIR/vqa/
(held-out scenes as PNG + questions.jsonl, 48 unless --vqa M); with --seen N, the first N seen
prompts of training stream 1 instead (splits.seen_prompts: the validation set) and M questions about
that stream's scenes (splits.seen_vqa; none unless --vqa M). The engine (`npm run eval -- shapes`) or `reference`
then writes DIR/images/ in GenEval's layout and DIR/answers.jsonl; `score` runs the detector and
GenEval's rules over the images, exact-match VQA over the answers, prints the table and writes
DIR/results.json.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from PIL import Image

from .captions import TAGS
from .score import report, score_folder, summarize_geneval, summarize_vqa
from .splits import eval_prompts, heldout_vqa, seen_prompts, seen_vqa


def quick_prompts() -> list[dict]:
    """One prompt per category (the first of each), for the reduced run inside `npm test`."""
    seen, out = set(), []
    for meta in eval_prompts():
        if meta["tag"] not in seen:
            seen.add(meta["tag"])
            out.append(meta)
    return out


def prepare(out: Path, quick: bool = False, n_vqa: int | None = None, size: int = 64, seen: int = 0) -> None:
    """n_vqa None: 48 held-out questions, or none with `seen` (6 with `quick`, whatever n_vqa says)."""
    out.mkdir(parents=True, exist_ok=True)
    prompts = seen_prompts(seen) if seen else quick_prompts() if quick else eval_prompts()
    n_vqa = 6 if quick else (0 if seen else 48) if n_vqa is None else n_vqa
    items = seen_vqa(n_vqa, size=size) if seen else heldout_vqa(n_vqa, size=size)
    (out / "prompts.jsonl").write_text("".join(json.dumps(m) + "\n" for m in prompts))
    vqa_dir = out / "vqa"
    vqa_dir.mkdir(exist_ok=True)
    lines = []
    for i, item in enumerate(items):
        name = f"{i:04d}.png"
        item["image"].save(vqa_dir / name)
        lines.append({"image": name, "kind": item["kind"], "question": item["question"],
                      "answer": item["answer"]})
    (vqa_dir / "questions.jsonl").write_text("".join(json.dumps(l) + "\n" for l in lines))
    print(f"{len(prompts)} prompts, {len(lines)} questions → {out}")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(l) for l in path.read_text().splitlines() if l.strip()]


def reference(out: Path, checkpoint: Path, steps: int, sampling_steps: int, cfg: float,
              temperature: float, seed: int, n: int) -> None:
    """The same evaluation through the PyTorch reference (harmon/*), on the training checkpoint."""
    import torch

    from harmon.generate import GenerateSettings, generate_latents, seeded_inputs, to_bytes
    from harmon.load import load_hf
    from harmon.text import TextCodec
    from harmon.understand import Conversation, prepare_image

    model, tok_dir = load_hf(checkpoint)
    model.eval()
    codec = TextCodec.from_file(tok_dir / "tokenizer.json")
    size = model.cfg.image_size
    settings = GenerateSettings(steps=steps, cfg=cfg, temperature=temperature,
                                sampling_steps=sampling_steps, size=size)
    N = (size // model.cfg.vae.stride) ** 2
    for i, meta in enumerate(read_jsonl(out / "prompts.jsonl")):
        orders, noise = seeded_inputs(seed + i, n, N, sampling_steps)
        lat = generate_latents(model, codec, [meta["prompt"]] * n, settings, orders, noise)
        with torch.no_grad():
            pix = to_bytes(model.decode_tokens(lat))
        d = out / "images" / f"{i:05d}" / "samples"
        d.mkdir(parents=True, exist_ok=True)
        (d.parent / "metadata.jsonl").write_text(json.dumps(meta) + "\n")
        for k, arr in enumerate(pix):
            Image.fromarray(arr).save(d / f"{k:04d}.png")
    answers = []
    for q in read_jsonl(out / "vqa" / "questions.jsonl"):
        conv = Conversation(model, codec, prepare_image(Image.open(out / "vqa" / q["image"]), size))
        answers.append({**q, "prediction": codec.decode(conv.ask(q["question"], max_new_tokens=32))})
    (out / "answers.jsonl").write_text("".join(json.dumps(a) + "\n" for a in answers))


def score(out: Path, label: str) -> dict:
    results = score_folder(out / "images")
    geneval = summarize_geneval(results)
    answers = read_jsonl(out / "answers.jsonl") if (out / "answers.jsonl").is_file() else []
    vqa = summarize_vqa(answers) if answers else None
    text, summary = report(geneval, vqa)
    print(f"{label}\n{text}")
    summary.update(label=label, images=results, answers=answers)
    (out / "results.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def grid(out: Path, dest: Path, per_tag: int = 2, scale: int = 2, width: int = 6) -> None:
    """A picture of generated examples with their prompts (and the verdict) under each, from a
    scored run (results.json), `per_tag` per category: for the README."""
    from PIL import ImageDraw, ImageFont

    images = json.loads((out / "results.json").read_text())["images"]
    picked = []
    for tag in TAGS:
        picked += [r for r in images if r["tag"] == tag][:per_tag]
    font = ImageFont.load_default()
    side = None
    cells = []
    for r in picked:
        img = Image.open(r["filename"]).convert("RGB")
        side = img.width * scale
        cells.append((img.resize((side, side), Image.NEAREST), r))
    cw, ch = max(side, 150), side + 40
    rows = (len(cells) + width - 1) // width
    sheet = Image.new("RGB", (cw * min(width, len(cells)), ch * rows), "white")
    draw = ImageDraw.Draw(sheet)
    for k, (img, r) in enumerate(cells):
        x, y = (k % width) * cw, (k // width) * ch
        sheet.paste(img, (x + (cw - side) // 2, y))
        words, lines = r["prompt"].split(), [""]
        for w in words:  # wrap the prompt under the image
            if draw.textlength(lines[-1] + " " + w, font=font) > cw - 6:
                lines.append(w)
            else:
                lines[-1] = (lines[-1] + " " + w).strip()
        mark = "ok" if r["correct"] else "wrong"
        for i, line in enumerate(lines[:2] + [f"[{r['tag']}: {mark}]"]):
            draw.text((x + 3, y + side + 2 + 12 * i), line, fill="black" if i < 2 else "grey", font=font)
    dest.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(dest)
    print(f"wrote {dest} ({len(cells)} images)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m shapes.evalset")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("dir", type=Path)
    p.add_argument("--quick", action="store_true", help=f"one prompt per category ({len(TAGS)}) and 6 questions")
    p.add_argument("--vqa", type=int, default=None, help="questions (default 48 held-out; with --seen, none)")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--seen", type=int, default=0,
                   help="N seen prompts of training stream 1 (validation); --vqa M questions about its scenes")
    r = sub.add_parser("reference")
    r.add_argument("dir", type=Path)
    r.add_argument("--checkpoint", type=Path, default=Path("models/default/checkpoint"))
    r.add_argument("--steps", type=int, default=8)
    r.add_argument("--sampling-steps", type=int, default=25)
    r.add_argument("--cfg", type=float, default=3.0)
    r.add_argument("--temperature", type=float, default=1.0)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--n", type=int, default=1)
    s = sub.add_parser("score")
    s.add_argument("dir", type=Path)
    s.add_argument("--label", default="ShapesEval")
    g = sub.add_parser("grid")
    g.add_argument("dir", type=Path)
    g.add_argument("dest", type=Path)
    g.add_argument("--per-tag", type=int, default=2)
    a = ap.parse_args(argv)
    if a.cmd == "grid":
        grid(a.dir, a.dest, a.per_tag)
    elif a.cmd == "prepare":
        prepare(a.dir, a.quick, a.vqa, a.size, a.seen)
    elif a.cmd == "reference":
        reference(a.dir, a.checkpoint, a.steps, a.sampling_steps, a.cfg, a.temperature, a.seed, a.n)
    else:
        score(a.dir, a.label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
