"""The synthetic world: flat shapes in a few colours on a plain background.

A scene lives in normalised coordinates (the canvas is the unit square, y grows downwards), so one
scene renders at any size. Every shape fills its square bounding box [cx-r, cx+r] x [cy-r, cy+r]:
boxes are then exact, which GenEval's position rule (computed on boxes) needs. Sampled scenes put
their objects on a 4 x 4 grid of cells (see GRID), which at 64 px is the VAE's token grid.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
from PIL import Image, ImageDraw

# Five shapes with very different silhouettes (fill of the box: square 1, circle 0.79, cross 0.64,
# triangle 0.5, star 0.43; star and cross are also non-convex), so they stay apart at ~10 px.
SHAPES = ("circle", "square", "triangle", "star", "cross")
PLURALS = {s: s + ("es" if s.endswith("s") else "s") for s in SHAPES}

# Six saturated colours, pairwise >= 80 apart in RGB and none on the line between the background
# and another colour, so an anti-aliased edge (a mix of background and colour) is never mistaken
# for a third colour.
COLORS = {
    "red": (220, 40, 40),
    "orange": (240, 130, 20),
    "yellow": (240, 210, 30),
    "green": (40, 160, 60),
    "blue": (40, 90, 220),
    "purple": (140, 60, 190),
}
BACKGROUNDS = {"white": (255, 255, 255), "light grey": (230, 230, 230)}

RELATIONS = ("left of", "right of", "above", "below")
OPPOSITE = {"left of": "right of", "right of": "left of", "above": "below", "below": "above"}
POSITION_THRESHOLD = 0.1        # GenEval's default


@dataclass(frozen=True)
class Obj:
    shape: str
    color: str
    cx: float      # centre, as a fraction of the width
    cy: float      # centre, as a fraction of the height
    r: float       # half the side of the bounding box, as a fraction of the side

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (self.cx - self.r, self.cy - self.r, self.cx + self.r, self.cy + self.r)


@dataclass(frozen=True)
class Scene:
    objects: tuple[Obj, ...]
    background: str = "white"

    def to_dict(self) -> dict:
        return {"background": self.background, "objects": [asdict(o) for o in self.objects]}

    @staticmethod
    def from_dict(d: dict) -> "Scene":
        return Scene(tuple(Obj(**o) for o in d["objects"]), d["background"])


@dataclass
class Spec:
    """What a scene must hold: one (shape, colour or None = any) per object, exactly these objects,
    and relations (i, rel, j): object i is `rel` object j under GenEval's rule."""
    objects: list[tuple[str, str | None]]
    relations: list[tuple[int, str, int]] = field(default_factory=list)


def _star(points: int = 5, inner: float = 0.5) -> list[tuple[float, float]]:
    pts = []
    for k in range(2 * points):
        rad = 1.0 if k % 2 == 0 else inner
        a = -math.pi / 2 + k * math.pi / points
        pts.append((rad * math.cos(a), rad * math.sin(a)))
    return pts


def _fit_box(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Stretch a polygon to fill [-1, 1]^2 (a regular star is a little wider than tall)."""
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    return [(2 * (x - x0) / (x1 - x0) - 1, 2 * (y - y0) / (y1 - y0) - 1) for x, y in pts]


_ARM = 0.4   # half-width of the cross's arms relative to the half-extent: arms ~4 px at 10 px
POLYGONS = {    # unit-box outlines; the circle is drawn as an ellipse
    "square": [(-1, -1), (1, -1), (1, 1), (-1, 1)],
    "triangle": [(0, -1), (1, 1), (-1, 1)],
    "star": _fit_box(_star()),
    "cross": [(-_ARM, -1), (_ARM, -1), (_ARM, -_ARM), (1, -_ARM), (1, _ARM), (_ARM, _ARM),
              (_ARM, 1), (-_ARM, 1), (-_ARM, _ARM), (-1, _ARM), (-1, -_ARM), (-_ARM, -_ARM)],
}


def draw_shape(draw: ImageDraw.ImageDraw, shape: str, box: tuple[float, float, float, float],
               fill) -> None:
    """Fill `shape` into `box` (x0, y0, x1, y1 in pixels of the canvas being drawn)."""
    x0, y0, x1, y1 = box
    if shape == "circle":
        draw.ellipse(box, fill=fill)
        return
    hx, hy, mx, my = (x1 - x0) / 2, (y1 - y0) / 2, (x0 + x1) / 2, (y0 + y1) / 2
    draw.polygon([(mx + u * hx, my + v * hy) for u, v in POLYGONS[shape]], fill=fill)


SUPERSAMPLE = 4


def render(scene: Scene, size: int = 128) -> Image.Image:
    """RGB image of the scene, `size` x `size`. Drawn at 4x and box-filtered down: the box filter
    makes every edge pixel an exact mix of one colour and the background (no ringing), which the
    detector unmixes."""
    big = size * SUPERSAMPLE
    img = Image.new("RGB", (big, big), BACKGROUNDS[scene.background])
    draw = ImageDraw.Draw(img)
    for o in scene.objects:
        draw_shape(draw, o.shape, tuple(v * big for v in o.bbox), COLORS[o.color])
    return img.reduce(SUPERSAMPLE)


def relative_position(box_a, box_b, threshold: float = POSITION_THRESHOLD) -> set[str]:
    """GenEval's rule (evaluation/evaluate_images.py): where A is relative to B, from boxes
    (x0, y0, x1, y1). The centre offset is shrunk by threshold x (sum of the box sizes) per axis,
    and a relation holds when that axis carries more than half of the (unshrunk) offset's length."""
    # plain floats: this runs in the sampling loops, where numpy's per-call overhead dominates
    off = [(box_a[k] + box_a[k + 2] - box_b[k] - box_b[k + 2]) / 2 for k in (0, 1)]
    dims = [(box_a[k + 2] - box_a[k]) + (box_b[k + 2] - box_b[k]) for k in (0, 1)]
    revised = [math.copysign(max(abs(o) - threshold * d, 0.0), o) for o, d in zip(off, dims)]
    if all(abs(v) < 1e-3 for v in revised):
        return set()
    norm = math.hypot(*off)
    dx, dy = revised[0] / norm, revised[1] / norm
    rels = set()
    if dx < -0.5:
        rels.add("left of")
    if dx > 0.5:
        rels.add("right of")
    if dy < -0.5:
        rels.add("above")
    if dy > 0.5:
        rels.add("below")
    return rels


def clearly(box_a, box_b, rel: str) -> bool:
    """`rel` is the only relation, and it survives a doubled threshold: a caption or answer about it
    stays true after the small box errors of detection."""
    return relative_position(box_a, box_b) == {rel} and rel in relative_position(box_a, box_b, 0.2)


# Objects sit in a GRID x GRID lattice of cells, one object per cell, centred in it and all of one
# size. At 64 px a cell is 16 px, exactly one VAE token, so every token of every image shows one of
# 5 x 6 shape-colour patterns or plain background: a small VAE encodes that exactly, and a small MAR
# places objects by choosing which tokens to draw (GenEval's categories need nothing finer).
GRID = 4
CELL = 1.0 / GRID
RADIUS = 0.1                      # half the box side: 12.8 px boxes in 16 px cells at 64 px
MARGIN = CELL / 2 - RADIUS        # free border of the canvas (the detector estimates the background there)
GAP = 2 * MARGIN                  # free space between two neighbouring objects' boxes (components never touch)
SCENE_BACKGROUNDS = ("white",)    # what sample_scene draws on (render takes any of BACKGROUNDS)


def cell_center(k: int) -> tuple[float, float]:
    """Centre of cell k (row-major, 0 .. GRID² - 1) in normalised coordinates."""
    return ((k % GRID + 0.5) * CELL, (k // GRID + 0.5) * CELL)


def cell_of(o: "Obj") -> int:
    """The cell (row-major, as the VAE's token grid at 64 px) an object sits in."""
    return int(o.cy * GRID) * GRID + int(o.cx * GRID)


def _apart(a: Obj, b: Obj) -> bool:
    need = a.r + b.r + GAP
    return abs(a.cx - b.cx) >= need - 1e-9 or abs(a.cy - b.cy) >= need - 1e-9


def sample_scene(rng: np.random.Generator, spec: Spec,
                 color_ok: Callable[[str, str], bool] = lambda color, shape: True,
                 tries: int = 2000) -> Scene:
    """A random scene holding exactly the objects of `spec`, each in its own random grid cell, with
    its relations clearly true. Free colours are drawn among those `color_ok` allows for the shape
    (the training split keeps some colour-shape pairs out)."""
    n = len(spec.objects)
    colors = []
    for shape, color in spec.objects:
        if color is None:
            choices = [c for c in COLORS if color_ok(c, shape)]
            color = choices[rng.integers(len(choices))]
        colors.append(color)
    background = SCENE_BACKGROUNDS[rng.integers(len(SCENE_BACKGROUNDS))]
    for _ in range(tries):
        cells = rng.permutation(GRID * GRID)[:n].tolist()
        objs = [Obj(shape, color, *cell_center(k), RADIUS)
                for (shape, _), color, k in zip(spec.objects, colors, cells)]
        if all(clearly(objs[i].bbox, objs[j].bbox, rel) for i, rel, j in spec.relations):
            return Scene(tuple(objs), background)
    raise RuntimeError(f"could not place {spec} in {tries} tries")
