"""The README's example grid: the first `per` images of each ShapesEval category from a results.json
that `npm run eval -- shapes` wrote, the prompt and the detector's verdict under each.

    scripts/py -m shapes.grid RESULTS_JSON OUT_PNG [--per 2] [--columns 6] [--tile 150]
"""
from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .captions import TAGS

CAPTION_LINES = 3  # prompt (wrapped to two lines at most) and the verdict


def pick(images: list[dict], per: int) -> list[dict]:
    """The first `per` results of each tag, in the tags' order."""
    return [r for tag in TAGS for r in [x for x in images if x["tag"] == tag][:per]]


def grid(results: dict, per: int = 2, columns: int = 6, tile: int = 150, root: Path | None = None) -> Image.Image:
    chosen = pick(results["images"], per)
    if not chosen:
        raise ValueError("results.json holds no images")
    font = ImageFont.load_default()
    line = 12
    rows = -(-len(chosen) // columns)
    cell_h = tile + 6 + CAPTION_LINES * line
    out = Image.new("RGB", (columns * tile, rows * cell_h), "white")
    draw = ImageDraw.Draw(out)
    for k, r in enumerate(chosen):
        x, y = (k % columns) * tile, (k // columns) * cell_h
        path = Path(r["filename"])
        if root is not None and not path.is_absolute():
            path = root / path
        img = Image.open(path).convert("RGB").resize((tile, tile), Image.NEAREST)
        out.paste(img, (x, y))
        text = textwrap.wrap(r["prompt"], 26)[:CAPTION_LINES - 1]
        text.append(f"[{r['tag']} {'ok' if r['correct'] else 'wrong'}]")
        for i, t in enumerate(text):
            draw.text((x + 3, y + tile + 3 + i * line), t, fill="black", font=font)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="scripts/py -m shapes.grid", description=__doc__.split("\n")[0])
    ap.add_argument("results", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--per", type=int, default=2, help="images per category")
    ap.add_argument("--columns", type=int, default=6)
    ap.add_argument("--tile", type=int, default=150, help="pixels per image (nearest-neighbour upscale)")
    a = ap.parse_args(argv)
    results = json.loads(a.results.read_text())
    grid(results, a.per, a.columns, a.tile, root=a.results.parent).save(a.out)
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
