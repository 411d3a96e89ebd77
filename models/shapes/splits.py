"""Train / held-out split of compositions, the training stream, and the held-out evaluation set.

Held out (never in a training image or text):
- colour-shape pairs (one per colour): e.g. no purple star is ever drawn or named in training;
- (count, shape) pairs: no training scene holds exactly that many of that shape, nor that many of
  it in one colour (so "three circles" is never drawn, captioned, described or answered);
Held out of training TEXT only:
- relation triples "a above b" / "a left of b" (with their mirror "b below a" / "b right of a"):
  random scenes are free to place shapes anywhere, but no training caption or answer states it.
Single shapes and shape pairs cannot be held out (5 shapes), so the single_object and two_object
evaluation prompts are the whole (seen) set; the other four categories use only held-out
compositions.

Everything is a function of (seed, index): sample i is the same whatever was drawn before it, so a
data loader can shard the stream.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Iterator

import numpy as np
from PIL import Image

from . import captions as C
from .world import COLORS, OPPOSITE, SHAPES, Scene, Spec, render, sample_scene

HELD_PAIRS = frozenset({("purple", "star"), ("yellow", "circle"), ("orange", "square"),
                        ("green", "triangle"), ("blue", "cross"), ("red", "cross")})
HELD_COUNTS = frozenset({(2, "star"), (3, "circle"), (3, "cross"), (4, "square"), (4, "triangle")})
HELD_RELATIONS = frozenset({  # canonical: "above" or "left of"
    ("circle", "above", "square"), ("triangle", "above", "star"), ("cross", "above", "circle"),
    ("star", "above", "cross"), ("square", "left of", "triangle"), ("star", "left of", "circle"),
    ("triangle", "left of", "cross"), ("cross", "left of", "square")})


def canonical(a: str, rel: str, b: str) -> tuple[str, str, str]:
    """"b below a" states the same composition as "a above b"."""
    return (b, OPPOSITE[rel], a) if rel in ("below", "right of") else (a, rel, b)


class TrainAllow(C.Allow):
    def pair(self, color, shape):
        return (color, shape) not in HELD_PAIRS

    def count(self, n, shape):
        return (n, shape) not in HELD_COUNTS

    def relation(self, a, rel, b):
        return canonical(a, rel, b) not in HELD_RELATIONS


TRAIN = TrainAllow()
# the t2i captions: GenEval's six categories plus full descriptions of random 1-4 object scenes
TRAIN_TAGS = C.TAGS + ("describe",)


@dataclass
class Sample:
    index: int
    tag: str
    caption: str
    meta: dict                  # GenEval metadata ({"tag": "describe", "prompt"} for descriptions)
    scene: Scene
    qa: list[dict] = field(default_factory=list)
    image: Image.Image | None = None


def training_sample(seed: int, index: int, size: int | None = 128) -> Sample:
    """Training sample `index` of stream `seed`: a caption, a scene it describes, questions about
    the scene; rendered at `size` (None: no image, for fast checks of the text)."""
    rng = np.random.default_rng([seed, 0, index])
    tag = TRAIN_TAGS[rng.integers(len(TRAIN_TAGS))]
    if tag == "describe":
        scene = C.random_scene(rng, TRAIN)
        meta = {"tag": "describe", "prompt": C.describe(scene)}
    else:
        meta = C.random_meta(rng, tag, TRAIN)
        scene = C.scene_for(rng, meta, TRAIN)
    qa = C.questions(rng, scene, TRAIN)
    return Sample(index, tag, meta["prompt"], meta, scene, qa,
                  render(scene, size) if size else None)


def training_samples(n: int, seed: int = 0, size: int | None = 128,
                     start: int = 0) -> Iterator[Sample]:
    for i in range(start, start + n):
        yield training_sample(seed, i, size)


SEEN_STREAM = 1  # the shipped default trains on stream 0; stream 1 holds new scenes of seen compositions


def seen_prompts(n: int, seed: int = SEEN_STREAM) -> list[dict]:
    """The first n GenEval-category captions (not "describe") of training stream `seed`: seen
    compositions in new scenes, the validation set that sampling settings are chosen on (the
    held-out prompts stay the test)."""
    out, i = [], 0
    while len(out) < n:
        s = training_sample(seed, i, size=None)
        i += 1
        if s.tag != "describe":
            out.append(s.meta)
    return out


def eval_prompts(n_color_attr: int = 24, seed: int = 0) -> list[dict]:
    """ShapesEval's prompts in GenEval's metadata form (one dict per line of an
    evaluation_metadata.jsonl), grouped by tag."""
    out = [C.single_object(s) for s in SHAPES]
    out += [C.two_object(a, b) for a, b in combinations(SHAPES, 2)]
    out += [C.counting(s, n) for n, s in sorted(HELD_COUNTS)]
    out += [C.colors(s, c) for c, s in sorted(HELD_PAIRS)]
    for a, rel, b in sorted(HELD_RELATIONS):
        out += [C.position(a, rel, b), C.position(b, OPPOSITE[rel], a)]
    # colour attribution: two objects, at least one a held-out pair
    combos = [((ca, a), (cb, b)) for ca, a in sorted(HELD_PAIRS) for cb in COLORS for b in SHAPES
              if a != b and ca != cb]
    rng = np.random.default_rng([seed, 2])
    for k in rng.choice(len(combos), min(n_color_attr, len(combos)), replace=False):
        first, second = combos[k]
        if rng.random() < 0.5:      # the held-out pair is named first or second
            first, second = second, first
        out.append(C.color_attr(first[0], first[1], second[0], second[1]))
    return out


VQA_KINDS = ("color", "shape", "exist", "count", "position", "describe")


def _others(rng, k: int, avoid_shapes=(), avoid_colors=(), avoid_pair=None) -> list:
    """k extra objects with free colours, kept off the given shapes/colours/pair (so the question
    stays unambiguous)."""
    out = []
    while len(out) < k:
        s, c = C._pick(rng, SHAPES), C._pick(rng, COLORS)
        if s not in avoid_shapes and c not in avoid_colors and (c, s) != avoid_pair:
            out.append((s, c))
    return out


def heldout_vqa_item(seed: int, index: int, size: int | None = 128) -> dict:
    """Held-out question `index`: a scene that contains a held-out composition and a question
    about it. Kinds cycle through VQA_KINDS; existence alternates yes and no. The object asked
    about comes first in the scene."""
    rng = np.random.default_rng([seed, 1, index])
    kind = VQA_KINDS[index % len(VQA_KINDS)]
    color, shape = C._pick(rng, sorted(HELD_PAIRS))
    relations = []
    if kind == "color":         # the only `shape`, so "the {shape}" is unambiguous
        objs = [(shape, color)] + _others(rng, int(rng.integers(3)), avoid_shapes=[shape])
    elif kind == "shape":       # the only `color` object
        objs = [(shape, color)] + _others(rng, int(rng.integers(3)), avoid_colors=[color])
    elif kind == "exist":
        yes = (index // len(VQA_KINDS)) % 2 == 0
        objs = ([(shape, color)] if yes else []) + _others(
            rng, int(rng.integers(0 if yes else 1, 3)), avoid_pair=(color, shape))
    elif kind == "count":
        n, shape = C._pick(rng, sorted(HELD_COUNTS))
        objs = [(shape, None)] * n + _others(rng, int(rng.integers(C.MAX_OBJECTS - n + 1)),
                                             avoid_shapes=[shape])
    elif kind == "position":
        a, rel, b = C._pick(rng, sorted(HELD_RELATIONS))
        if rng.random() < 0.5:  # ask it either way round
            a, rel, b = b, OPPOSITE[rel], a
        objs = [(a, None), (b, None)] + _others(rng, int(rng.integers(2)), avoid_shapes=[a, b])
        relations = [(0, rel, 1)]
    else:
        objs = [(shape, color)] + _others(rng, int(rng.integers(4)))
    scene = sample_scene(rng, Spec(objs, relations))
    first = scene.objects[0]
    if kind == "color":
        qa = C.ask_color(first)
    elif kind == "shape":
        qa = C.ask_shape(first)
    elif kind == "exist":
        qa = C.ask_exists(color, shape, scene)
    elif kind == "count":
        qa = C.ask_count(shape, scene)
    elif kind == "position":
        qa = C.ask_position(first, scene.objects[1], relations[0][1])
    else:
        qa = C.ask_describe(scene)
    return {**qa, "scene": scene, "image": render(scene, size) if size else None}


def heldout_vqa(n: int = 120, seed: int = 0, size: int | None = 128) -> list[dict]:
    """The held-out VQA set: dicts with kind, question, answer, scene and image."""
    return [heldout_vqa_item(seed, i, size) for i in range(n)]


def seen_vqa(n: int, seed: int = SEEN_STREAM, size: int | None = 128) -> list[dict]:
    """n questions about scenes of training stream `seed` (seen compositions in new scenes; the
    validation set's questions, as seen_prompts is its prompts), in the held-out set's form. Kinds
    cycle through VQA_KINDS, existence alternating yes and no: the next scene that has a question of
    the kind due gives it, one question per scene."""
    out, i = [], 0
    while len(out) < n:
        s = training_sample(seed, i, size=None)
        i += 1
        kind = VQA_KINDS[len(out) % len(VQA_KINDS)]
        qs = [q for q in s.qa if q["kind"] == kind]
        if kind == "exist":
            yes = (len(out) // len(VQA_KINDS)) % 2 == 0
            qs = [q for q in qs if (q["answer"] == "yes") == yes]
        if qs:
            out.append({**qs[0], "scene": s.scene, "image": render(s.scene, size) if size else None})
    return out
