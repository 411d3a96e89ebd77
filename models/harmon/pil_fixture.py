"""Fixture for the engine's image resize (src/engine/resize.ts): what PIL's `Image.resize` (bicubic,
its default, antialiased when shrinking) and the official image2text preprocessing (`prepare_image`:
grey pad to a centred square, then that resize) make of small images of odd sizes, up and down.

Written by `npm run golden` next to the golden vectors (models/golden/pil_resize.json); the engine's
test reads it, models/tests/test_pil_fixture.py checks it is what the installed PIL gives.
"""
from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import numpy as np
from PIL import Image

from .understand import prepare_image

OUT = Path(__file__).resolve().parents[1] / "golden" / "pil_resize.json"
# (source w, h) → (target w, h): upscale, downscale (antialiased support), mixed, a source smaller
# than the filter's support, a large non-integer factor
RESIZE = [((13, 7), (29, 31)), ((37, 23), (16, 11)), ((40, 40), (17, 61)), ((5, 3), (40, 24)),
          ((61, 47), (19, 23)), ((9, 9), (9, 9))]
# (source w, h) → S: prepare_image (pad + resize) as the reference feeds the VAE
PREPARE = [(50, 40, 72), (45, 71, 32), (31, 30, 16), (20, 20, 48)]
# A 640×480 photo at the official 512²: its source comes from a formula the engine test repeats;
# the expected pixels are kept as a SHA-256 and a few full rows.
PHOTO = (640, 480, 512)
PHOTO_ROWS = (0, 1, 63, 64, 255, 256, 447, 448, 511)


def photo() -> np.ndarray:
    """A deterministic 640×480 picture with gradients, edges and texture: channel c of pixel (x, y)
    is (⌊x²/7⌋ + 3y + 85c + ((x xor y) & 31)·(c+1) + 64·[(⌊x/40⌋ + ⌊y/30⌋) odd]) mod 256."""
    w, h, _ = PHOTO
    x = np.arange(w)[None, :, None]
    y = np.arange(h)[:, None, None]
    c = np.arange(3)[None, None, :]
    v = ((x * x) // 7 + 3 * y + 85 * c + ((x ^ y) & 31) * (c + 1) + np.where((x // 40 + y // 30) % 2, 64, 0)) % 256
    return v.astype(np.uint8)


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode()


def _prepared_bytes(img: Image.Image, size: int) -> np.ndarray:
    x = prepare_image(img, size)[0].permute(1, 2, 0).numpy()  # 2·(b/255) − 1 → back to exact bytes
    return np.rint((x + 1) * 255 / 2).astype(np.uint8)


def build() -> dict:
    rng = np.random.default_rng(12)
    resize = []
    for (w, h), (W, H) in RESIZE:
        src = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        out = np.asarray(Image.fromarray(src, "RGB").resize((W, H)))
        resize.append({"source": [w, h], "target": [W, H], "rgb": _b64(src), "expected": _b64(out)})
    prepare = []
    for w, h, S in PREPARE:
        src = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        prepare.append({"source": [w, h], "size": S, "rgb": _b64(src),
                        "expected": _b64(_prepared_bytes(Image.fromarray(src, "RGB"), S))})
    w, h, S = PHOTO
    out = _prepared_bytes(Image.fromarray(photo(), "RGB"), S)
    return {"pillow": Image.__version__, "resize": resize, "prepare": prepare,
            "photo": {"source": [w, h], "size": S, "sha256": hashlib.sha256(out.tobytes()).hexdigest(),
                      "rows": {str(r): _b64(out[r]) for r in PHOTO_ROWS}}}


def write(path: Path = OUT) -> dict:
    d = build()
    path.write_text(json.dumps(d, indent=1) + "\n")
    return d
