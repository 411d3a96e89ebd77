"""ShapesEval's detector: finds the shapes in an image of our world (a render, or a model's attempt).

1. Background = the median colour of the image's border (the world keeps a free margin there).
2. Colour: every pixel is explained as a mix of the background and ONE palette colour,
   p = bg + a (c - bg); the colour whose mixing line passes closest wins, and the pixel is
   foreground when its share a >= 1/2. Anti-aliased and blurred edges are exactly such mixes, so
   they take their object's colour instead of a look-alike (half orange on white is nearer yellow
   than orange, but lies on the orange line).
3. Connected components per colour (8-connected); specks below a size floor are dropped.
4. Shape: each component's mask is compared (IoU) with every shape drawn into the component's
   box; the best IoU is the class and its value the detection's confidence.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from .world import COLORS, SHAPES, draw_shape

_PALETTE = np.array([COLORS[c] for c in COLORS], np.float32)   # (K, 3)
_NAMES = list(COLORS)
MIN_AREA_FRACTION = 0.001   # specks smaller than this share of the image are noise (the smallest
                            # object, a star ~11 px across at 64 px, covers ~1.3 %)
NEAR_BACKGROUND = 24.0      # pixels this close to the background (RGB distance) are background


@dataclass(frozen=True)
class Detection:
    shape: str
    color: str
    bbox: tuple[float, float, float, float]    # x0, y0, x1, y1 in pixels (x1, y1 exclusive)
    area: int                                   # pixels in the component
    score: float                                # IoU with the best-matching shape template

    @property
    def center(self) -> tuple[float, float]:
        return ((self.bbox[0] + self.bbox[2]) / 2, (self.bbox[1] + self.bbox[3]) / 2)

    def to_dict(self) -> dict:
        return {"class": self.shape, "color": self.color, "bbox": list(self.bbox),
                "center": list(self.center), "area": self.area, "score": self.score}


def background_color(img: np.ndarray) -> np.ndarray:
    border = np.concatenate([img[:2].reshape(-1, 3), img[-2:].reshape(-1, 3),
                             img[:, :2].reshape(-1, 3), img[:, -2:].reshape(-1, 3)])
    return np.median(border, axis=0)


def color_labels(img: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """(H, W) palette index per pixel, -1 for background."""
    h, w, _ = img.shape
    labels = np.full(h * w, -1, np.int64)
    p = img.reshape(-1, 3) - bg
    cand = np.flatnonzero(np.linalg.norm(p, axis=1) > NEAR_BACKGROUND)
    if cand.size == 0:
        return labels.reshape(h, w)
    p = p[cand]                                       # (N, 3)
    d = _PALETTE - bg                                 # (K, 3): the mixing directions
    dd = np.maximum((d * d).sum(1), 1e-6)
    share = np.clip(p @ d.T / dd, 0.0, 1.0)           # (N, K): the best share a of each colour
    resid = (p * p).sum(1, keepdims=True) - 2 * share * (p @ d.T) + share ** 2 * dd
    best = resid.argmin(1)
    fg = share[np.arange(len(cand)), best] >= 0.5
    labels[cand[fg]] = best[fg]
    return labels.reshape(h, w)


def components(mask: np.ndarray) -> list[np.ndarray]:
    """8-connected components of a boolean mask, as arrays of flat pixel indices. Works on row runs
    (a union-find over runs that touch in the next row): shapes are few and compact, so runs are few
    and plain Python is fast enough without scipy."""
    h, w = mask.shape
    runs = []                                         # (row, start, end exclusive)
    padded = np.zeros((h, w + 2), np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    for y in np.flatnonzero(edges.any(1)):
        starts, ends = np.flatnonzero(edges[y] == 1), np.flatnonzero(edges[y] == -1)
        runs.extend((int(y), int(s), int(e)) for s, e in zip(starts, ends))
    parent = list(range(len(runs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    prev_row, prev, j0 = -2, [], 0
    for i, (y, s, e) in enumerate(runs):
        if y != prev_row:
            prev = [k for k in range(j0, i) if runs[k][0] == y - 1]
            prev_row, j0 = y, i
        for k in prev:
            _, s2, e2 = runs[k]
            if s2 <= e and s <= e2:                   # overlap or diagonal touch: 8-connected
                ra, rb = find(i), find(k)
                if ra != rb:
                    parent[ra] = rb
    groups: dict[int, list[int]] = {}
    for i in range(len(runs)):
        groups.setdefault(find(i), []).append(i)
    out = []
    for members in groups.values():
        out.append(np.concatenate([np.arange(runs[k][1], runs[k][2]) + runs[k][0] * w
                                   for k in members]))
    return out


@lru_cache(maxsize=8192)
def template(shape: str, w: int, h: int, grow: float = 0.0) -> np.ndarray:
    """Boolean (h, w) mask of `shape` drawn into the w x h box grown by `grow` pixels on every side
    (clipped), with the render's own rule: 4x supersampled, a pixel is in when half covered."""
    ss = 4
    img = Image.new("L", (w * ss, h * ss), 0)
    box = (-grow * ss, -grow * ss, (w + grow) * ss, (h + grow) * ss)
    draw_shape(ImageDraw.Draw(img), shape, box, 255)
    return np.asarray(img.reduce(ss)) >= 128


# The component's box can be up to ~1 px smaller per side than the shape's: the extreme column
# of a circle or a star's tip covers less than half a pixel and drops out. So each shape is also
# tried in slightly grown boxes; without this a 12 px circle fills its box like an octagon.
GROWS = (0.0, 0.5, 1.0)


def classify(mask: np.ndarray) -> tuple[str, float]:
    """Best shape for a cropped component mask, and its IoU."""
    h, w = mask.shape
    best, best_iou = SHAPES[0], -1.0
    for shape in SHAPES:
        for grow in GROWS:
            t = template(shape, w, h, grow)
            iou = (t & mask).sum() / max((t | mask).sum(), 1)
            if iou > best_iou:
                best, best_iou = shape, float(iou)
    return best, best_iou


def detect(image: Image.Image | np.ndarray) -> list[Detection]:
    """All objects in the image, largest first."""
    img = np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image,
                     np.float32)
    h, w, _ = img.shape
    labels = color_labels(img, background_color(img))
    min_area = max(4, int(MIN_AREA_FRACTION * h * w))
    found = []
    for k, name in enumerate(_NAMES):
        mask = labels == k
        if mask.sum() < min_area:
            continue
        for idx in components(mask):
            if idx.size < min_area:
                continue
            ys, xs = np.divmod(idx, w)
            y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
            crop = np.zeros((y1 - y0, x1 - x0), bool)
            crop[ys - y0, xs - x0] = True
            shape, score = classify(crop)
            found.append(Detection(shape, name, (float(x0), float(y0), float(x1), float(y1)),
                                   int(idx.size), round(score, 4)))
    found.sort(key=lambda d: -d.area)
    return found
