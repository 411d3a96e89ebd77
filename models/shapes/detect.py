"""ShapesEval's detector: the shapes in an image of our world (a render, or a model's attempt).

1. Background = the median colour of the image's border (the world keeps a free margin there).
2. Colour: every pixel is explained as a mix of the background and ONE palette colour,
   p = bg + a (c - bg); the colour whose mixing line passes closest wins, and the pixel is
   foreground when its share a >= 1/2. Anti-aliased and blurred edges are exactly such mixes, so
   they take their object's colour instead of a look-alike (half orange on white is nearer yellow
   than orange, but lies on the orange line).
3. Connected components per colour (8-connected); specks below a size floor are dropped.
4. Shape: the component's coverage map (its colour's share around it) is compared, by soft IoU,
   with each shape drawn where and as large as it would have to be to explain that map (sharp,
   and if no sharp shape fits well, blurred); the best IoU is the class and its value the
   detection's confidence.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .world import COLORS, SHAPES, draw_shape

_PALETTE = np.array([COLORS[c] for c in COLORS], np.float32)   # (K, 3)
_NAMES = list(COLORS)
MIN_AREA_FRACTION = 0.001   # specks smaller than this share of the image are noise (the smallest
                            # object, a star ~11 px across at 64 px, covers ~1.4 %)
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


def explain(p: np.ndarray, bg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For pixels p - bg (N, 3): the palette colour whose mix with the background explains each
    best (N,), that colour's share in the mix clipped to 0..1 (N,), and the unclipped share of
    every colour (N, K; unclipped so that noise averages out when summed)."""
    d = _PALETTE - bg                                 # (K, 3): the mixing directions
    dd = np.maximum((d * d).sum(1), 1e-6)
    dot = p @ d.T
    share = dot / dd
    a = np.clip(share, 0.0, 1.0)
    resid = (p * p).sum(1, keepdims=True) - 2 * a * dot + a * a * dd   # |p - a d|^2
    best = resid.argmin(1)
    return best, a[np.arange(len(p)), best], share


def color_labels(img: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """(H, W) palette index of each pixel's colour where that colour's share is >= 1/2, else -1."""
    h, w, _ = img.shape
    labels = np.full(h * w, -1, np.int64)
    p = img.reshape(-1, 3) - bg
    cand = np.flatnonzero((p * p).sum(1) > NEAR_BACKGROUND ** 2)   # skip the plain background
    if cand.size:
        best, a, _ = explain(p[cand], bg)
        labels[cand[a >= 0.5]] = best[a >= 0.5]
    return labels.reshape(h, w)


def components(mask: np.ndarray) -> list[np.ndarray]:
    """8-connected components of a boolean mask, as arrays of flat pixel indices. Works on row runs
    (a union-find over runs that touch in the next row): shapes are few and compact, so runs are few
    and plain Python is fast enough without scipy."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    # row-major order, so each row's starts and ends pair up in turn
    ys, starts = np.nonzero(edges == 1)
    ends = np.nonzero(edges == -1)[1]
    runs = list(zip(ys.tolist(), starts.tolist(), ends.tolist()))   # (row, start, end exclusive)
    parent = list(range(len(runs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    prev, cur, row = [], [], -2
    for i, (y, s, e) in enumerate(runs):
        if y != row:
            prev, cur, row = (cur if y == row + 1 else []), [], y
        cur.append(i)
        for k in prev:
            _, s2, e2 = runs[k]
            if s2 <= e and s <= e2:                   # overlap or diagonal touch: 8-connected
                ra, rb = find(i), find(k)
                if ra != rb:
                    parent[ra] = rb
    groups: dict[int, list[int]] = {}
    for i in range(len(runs)):
        groups.setdefault(find(i), []).append(i)
    return [np.concatenate([np.arange(runs[k][1], runs[k][2]) + runs[k][0] * w for k in members])
            for members in groups.values()]


def _shape_stats(shape: str, n: int = 256) -> tuple[float, float, float]:
    """Share of its box that a shape fills, and its centroid's offset from the box centre (in box
    sides), measured on a large drawing with the renderer's own rasterisation."""
    img = Image.new("L", (n, n), 0)
    draw_shape(ImageDraw.Draw(img), shape, (0, 0, n, n), 255)
    m = np.asarray(img, np.float64) / 255
    ys, xs = np.mgrid[0:n, 0:n] + 0.5
    area = m.sum()
    return area / n ** 2, (m * xs).sum() / area / n - 0.5, (m * ys).sum() / area / n - 0.5


STATS = {s: _shape_stats(s) for s in SHAPES}


def template(shape: str, box, size: tuple[int, int]) -> Image.Image:
    """Coverage of `shape` drawn into `box` (x0, y0, x1, y1, sub-pixel) on a canvas of `size`
    (w, h), as an 8-bit image: the renderer's own 4x supersampling."""
    ss = 4
    img = Image.new("L", (size[0] * ss, size[1] * ss), 0)
    draw_shape(ImageDraw.Draw(img), shape, tuple(v * ss for v in box), 255)
    return img.reduce(ss)


# A generated image is softer than a render, and a blurred star fits a sharp circle better than a
# sharp star. Each shape is therefore also tried blurred, in steps fine enough that the right
# shape at about the right blur wins (with steps of 1 px, an over-blurred circle beat a star).
BLURS = (0.5, 1.0, 1.5, 2.0, 3.0)
SHARP_ENOUGH = 0.9   # a sharp fit this good settles it: on renders no wrong shape fits above
                     # 0.87 (circle vs square), the right one fits >= 0.93 from 128 px up
MATCH_SIZE = 40   # windows are matched at most this many pixels across: the cost of a large
                  # object stays bounded, and 40 px tell our five shapes apart easily


def classify(soft: np.ndarray) -> tuple[str, float]:
    """Best shape for an object's coverage map (a window around it, 0..1), and its soft IoU.

    Each shape is placed where it would have to be to explain the map: all our shapes fill a square
    box, so from the covered area A (exact under anti-aliasing and blur, which both preserve it)
    the box side is sqrt(A / fill) and the box centre is the centroid minus the shape's known
    centroid offset. The fit is sub-pixel, so even a 10 px shape matches its own template closely
    (pixel extents would not: a circle's extreme columns, a star's tips, drop below half cover).
    """
    h, w = soft.shape
    scale = max(h, w) / MATCH_SIZE
    if scale > 1:
        w, h = max(round(w / scale), 1), max(round(h / scale), 1)
        soft = np.asarray(Image.fromarray(soft.astype(np.float32), "F").resize((w, h), Image.BOX))
    area = float(soft.sum())
    if area <= 0:
        return SHAPES[0], 0.0
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    cx, cy = float((soft * xs).sum() / area), float((soft * ys).sum() / area)
    clipped = np.clip(soft, 0.0, 1.0)
    sharp, ious = {}, {}
    for shape in SHAPES:
        fill, ox, oy = STATS[shape]
        side = (area / fill) ** 0.5
        x0, y0 = cx - ox * side - side / 2, cy - oy * side - side / 2
        sharp[shape] = template(shape, (x0, y0, x0 + side, y0 + side), (w, h))
        ious[shape] = _iou([sharp[shape]], clipped)
    if max(ious.values()) < SHARP_ENOUGH:   # a soft image: try the blurred templates too
        for shape in SHAPES:
            ious[shape] = max(ious[shape], _iou(
                [sharp[shape].filter(ImageFilter.GaussianBlur(b)) for b in BLURS], clipped))
    best = max(SHAPES, key=lambda s: ious[s])
    return best, ious[best]


def _iou(templates: list[Image.Image], soft: np.ndarray) -> float:
    """Best soft IoU (sum of minima / sum of maxima) of the templates with a coverage map."""
    t = np.stack([np.asarray(x) for x in templates]).astype(np.float32) / 255
    return float((np.minimum(t, soft).sum((1, 2))
                  / np.maximum(np.maximum(t, soft).sum((1, 2)), 1e-6)).max())


PAD = 3   # pixels around a component's box that still hold its faint (anti-aliased, blurred) edge
FAINT = 0.15  # a pixel this much of another colour is a neighbour's halo, not this object's edge


def detect(image: Image.Image | np.ndarray) -> list[Detection]:
    """All objects in the image, largest first."""
    img = np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image,
                     np.float32)
    h, w, _ = img.shape
    bg = background_color(img)
    labels = color_labels(img, bg)
    min_area = max(4, int(MIN_AREA_FRACTION * h * w))
    found = []
    for k in np.unique(labels[labels >= 0]).tolist():
        for idx in components(labels == k):
            if idx.size < min_area:
                continue
            ys, xs = np.divmod(idx, w)
            y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
            # the object's coverage map: its colour's share in a window around it, except on
            # pixels that belong to something else (another object, or another colour's halo)
            wy0, wy1 = max(y0 - PAD, 0), min(y1 + PAD, h)
            wx0, wx1 = max(x0 - PAD, 0), min(x1 + PAD, w)
            own = np.zeros((wy1 - wy0, wx1 - wx0), bool)
            own[ys - wy0, xs - wx0] = True
            best, a, share = explain(img[wy0:wy1, wx0:wx1].reshape(-1, 3) - bg, bg)
            other = ((labels[wy0:wy1, wx0:wx1] >= 0) & ~own) | \
                ((best != k) & (a >= FAINT)).reshape(own.shape)
            soft = np.where(other, 0.0, share[:, k].reshape(own.shape))
            shape, score = classify(soft)
            found.append(Detection(shape, _NAMES[k], (float(x0), float(y0), float(x1), float(y1)),
                                   int(idx.size), round(score, 4)))
    found.sort(key=lambda d: -d.area)
    return found
