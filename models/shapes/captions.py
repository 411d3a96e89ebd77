"""Captions in GenEval's six categories (in its metadata form), scenes that satisfy them, canonical
descriptions, and question-answer pairs about a scene.

Metadata mirrors GenEval's evaluation_metadata.jsonl (prompts/create_prompts.py):
  {"tag": ..., "include": [{"class", "count", optional "color", optional "position": [rel, i]}],
   optional "exclude": [{"class", "count"}], "prompt": ...}
Wording is GenEval's minus its "a photo of " prefix: "two circles", "a red circle and a blue
square", "a circle above a square" (for position, include[0] is the reference object, as there).
A scene made for a caption holds exactly the objects the caption names, nothing else.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache

import numpy as np

from .world import (COLORS, PLURALS, RELATIONS, SHAPES, Obj, Scene, Spec, clearly,
                    sample_scene)

TAGS = ("single_object", "two_object", "counting", "colors", "position", "color_attr")
NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
COUNTS = (2, 3, 4)      # GenEval counts 2..4
MAX_OBJECTS = 4


class Allow:
    """Which compositions may be used. This one allows everything; the training split narrows it
    (splits.TRAIN)."""

    def pair(self, color: str, shape: str) -> bool:        # a colour on a shape, in image or text
        return True

    def count(self, n: int, shape: str) -> bool:           # exactly n of a shape in one scene
        return True

    def relation(self, a: str, rel: str, b: str) -> bool:  # "a rel b" said in text
        return True

    def scene(self, scene: Scene) -> bool:
        """May this scene be drawn? Its pairs, and the counts of each shape and of each group of
        one colour and shape ("three orange crosses" in a description counts as three crosses)."""
        shapes = Counter(o.shape for o in scene.objects)
        groups = Counter((o.shape, o.color) for o in scene.objects)
        return (all(self.pair(o.color, o.shape) for o in scene.objects)
                and all(self.count(n, s) for s, n in shapes.items())
                and all(self.count(n, s) for (s, _), n in groups.items() if n > 1))


ALLOW_ALL = Allow()


def article(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


# ---- metadata builders (GenEval's create_prompts.py, one per tag) ----

def single_object(shape: str) -> dict:
    return {"tag": "single_object", "include": [{"class": shape, "count": 1}],
            "prompt": article(shape)}


def two_object(a: str, b: str) -> dict:
    return {"tag": "two_object", "include": [{"class": a, "count": 1}, {"class": b, "count": 1}],
            "prompt": f"{article(a)} and {article(b)}"}


def counting(shape: str, n: int) -> dict:
    return {"tag": "counting", "include": [{"class": shape, "count": n}],
            "exclude": [{"class": shape, "count": n + 1}],
            "prompt": f"{NUMBERS[n]} {PLURALS[shape]}"}


def colors(shape: str, color: str) -> dict:
    return {"tag": "colors", "include": [{"class": shape, "count": 1, "color": color}],
            "prompt": f"{article(color)} {shape}"}


def position(a: str, rel: str, b: str) -> dict:
    """"a {a} {rel} a {b}": the reference b comes first in include, a points at it (index 0)."""
    return {"tag": "position",
            "include": [{"class": b, "count": 1}, {"class": a, "count": 1, "position": [rel, 0]}],
            "prompt": f"{article(a)} {rel} {article(b)}"}


def color_attr(ca: str, a: str, cb: str, b: str) -> dict:
    return {"tag": "color_attr",
            "include": [{"class": a, "count": 1, "color": ca},
                        {"class": b, "count": 1, "color": cb}],
            "prompt": f"{article(ca)} {a} and {article(cb)} {b}"}


def _pick(rng: np.random.Generator, items):
    items = list(items)
    return items[rng.integers(len(items))]


@lru_cache(maxsize=None)
def _choices(allow: Allow) -> dict[str, list]:
    """The allowed compositions per tag (computed once per Allow: the sampling loops are hot)."""
    shapes = list(SHAPES)
    pairs = [(c, s) for s in shapes for c in COLORS if allow.pair(c, s)]
    return {
        "single_object": [(s,) for s in shapes],
        "two_object": [(a, b) for a in shapes for b in shapes if a != b],
        "counting": [(s, n) for s in shapes for n in COUNTS if allow.count(n, s)],
        "colors": [(s, c) for c, s in pairs],
        "position": [(a, r, b) for a in shapes for b in shapes if a != b
                     for r in RELATIONS if allow.relation(a, r, b)],
        # GenEval: two different classes in two different colours
        "color_attr": [(ca, a, cb, b) for ca, a in pairs for cb, b in pairs if a != b and ca != cb],
    }


_BUILD = {"single_object": single_object, "two_object": two_object, "counting": counting,
          "colors": colors, "position": position, "color_attr": color_attr}


def random_meta(rng: np.random.Generator, tag: str, allow: Allow = ALLOW_ALL) -> dict:
    """A random caption of one tag, using only allowed compositions."""
    return _BUILD[tag](*_pick(rng, _choices(allow)[tag]))


def spec_of(meta: dict) -> Spec:
    """The world spec for a caption: each include entry's objects, and its position relations."""
    objects, first, relations = [], [], []
    for req in meta["include"]:
        first.append(len(objects))
        objects += [(req["class"], req.get("color"))] * req["count"]
        if "position" in req:
            rel, target = req["position"]
            relations.append((first[-1], rel, first[target]))
    return Spec(objects, relations)


def scene_for(rng: np.random.Generator, meta: dict, allow: Allow = ALLOW_ALL) -> Scene:
    """A random scene that the caption describes, free colours drawn among allowed ones."""
    for _ in range(1000):
        scene = sample_scene(rng, spec_of(meta), color_ok=allow.pair)
        if allow.scene(scene):
            return scene
    raise ValueError(f"no allowed scene for {meta['prompt']!r}")


def random_scene(rng: np.random.Generator, allow: Allow = ALLOW_ALL) -> Scene:
    """1-4 objects of any shapes and colours (for "describe" captions and questions)."""
    while True:
        n = int(rng.integers(1, MAX_OBJECTS + 1))
        spec = Spec([(_pick(rng, SHAPES), None) for _ in range(n)])
        scene = sample_scene(rng, spec, color_ok=allow.pair)
        if allow.scene(scene):
            return scene


def describe(scene: Scene) -> str:
    """Canonical caption listing every object: groups of equal colour and shape, in the order of
    SHAPES then COLORS, e.g. "two red circles, a blue circle and a green star"."""
    return describe_objects(scene.objects)


def describe_objects(objects) -> str:
    """describe() for anything with .shape and .color (scene objects or detections)."""
    groups = Counter((o.shape, o.color) for o in objects)
    if not groups:
        return "nothing"
    order = sorted(groups, key=lambda k: (SHAPES.index(k[0]), list(COLORS).index(k[1])))
    parts = [article(f"{c} {s}") if groups[(s, c)] == 1
             else f"{NUMBERS[groups[(s, c)]]} {c} {PLURALS[s]}" for s, c in order]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# ---- questions ----

def _qa(kind: str, question: str, answer: str) -> dict:
    return {"kind": kind, "question": question, "answer": answer}


def ask_count(shape: str, scene: Scene) -> dict:
    n = sum(o.shape == shape for o in scene.objects)
    return _qa("count", f"How many {PLURALS[shape]} are there?", NUMBERS[n])


def ask_color(obj: Obj) -> dict:
    return _qa("color", f"What color is the {obj.shape}?", obj.color)


def ask_shape(obj: Obj) -> dict:
    return _qa("shape", f"What shape is the {obj.color} object?", obj.shape)


def ask_exists(color: str, shape: str, scene: Scene) -> dict:
    yes = any(o.color == color and o.shape == shape for o in scene.objects)
    return _qa("exist", f"Is there {article(color)} {shape}?", "yes" if yes else "no")


def clear_relation(a: Obj, b: Obj) -> str | None:
    """The relation of a to b when exactly one clearly holds (see world.clearly)."""
    for rel in RELATIONS:
        if clearly(a.bbox, b.bbox, rel):
            return rel
    return None


def ask_position(a: Obj, b: Obj, rel: str) -> dict:
    """"Is the A above or below the B?" -> "above"; "Is the A left or right of the B?" -> "left"."""
    axis = "above or below" if rel in ("above", "below") else "left or right of"
    return _qa("position", f"Is the {a.shape} {axis} the {b.shape}?", rel.split()[0])


def ask_describe(scene: Scene) -> dict:
    return _qa("describe", "Describe the image.", describe(scene))


def questions(rng: np.random.Generator, scene: Scene, allow: Allow = ALLOW_ALL) -> list[dict]:
    """One question of each kind that the scene can answer unambiguously, existence as one "yes"
    and one "no" (POPE's balance; half of the "no"s are adversarial: a present shape in another
    colour or a present colour on another shape). Nothing that names a disallowed composition."""
    objs = scene.objects
    shapes = Counter(o.shape for o in objs)
    colors_ = Counter(o.color for o in objs)
    unique_shape = [o for o in objs if shapes[o.shape] == 1]
    unique_color = [o for o in objs if colors_[o.color] == 1]
    # counts mostly of shapes that are there ("zero" would otherwise be the commonest answer)
    out = [ask_count(_pick(rng, shapes if rng.random() < 0.75 else SHAPES), scene)]
    if unique_shape:
        out.append(ask_color(_pick(rng, unique_shape)))
    if unique_color:
        out.append(ask_shape(_pick(rng, unique_color)))
    present = sorted({(o.color, o.shape) for o in objs})   # sorted: set order varies by process
    absent = [(c, s) for s, c in _choices(allow)["colors"] if (c, s) not in present]
    near = [(c, s) for c, s in absent if c in colors_ or s in shapes]
    out.append(ask_exists(*_pick(rng, present), scene))
    out.append(ask_exists(*_pick(rng, near if near and rng.random() < 0.5 else absent), scene))
    if len(unique_shape) >= 2:
        i, j = rng.choice(len(unique_shape), 2, replace=False)
        a, b = unique_shape[i], unique_shape[j]
        rel = clear_relation(a, b)
        if rel and allow.relation(a.shape, rel, b.shape):
            out.append(ask_position(a, b, rel))
    out.append(ask_describe(scene))
    return out
