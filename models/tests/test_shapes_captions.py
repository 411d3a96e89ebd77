"""Captions and answers agree with their images: render, detect, apply GenEval's rule."""
import re
from collections import Counter

import numpy as np

from shapes import captions as C
from shapes.detect import detect
from shapes.score import evaluate
from shapes.splits import eval_prompts, training_samples
from shapes.world import PLURALS, relative_position, render


def test_metadata_is_genevals_form():
    assert C.counting("circle", 2) == {
        "tag": "counting", "include": [{"class": "circle", "count": 2}],
        "exclude": [{"class": "circle", "count": 3}], "prompt": "two circles"}
    assert C.position("circle", "above", "square") == {
        "tag": "position", "include": [{"class": "square", "count": 1},
                                       {"class": "circle", "count": 1, "position": ["above", 0]}],
        "prompt": "a circle above a square"}
    assert C.color_attr("orange", "cross", "red", "star")["prompt"] == \
        "an orange cross and a red star"
    assert C.colors("triangle", "yellow")["prompt"] == "a yellow triangle"
    assert PLURALS["cross"] == "crosses"
    rng = np.random.default_rng(0)
    for tag in C.TAGS:
        for _ in range(20):
            m = C.random_meta(rng, tag)
            assert m["tag"] == tag and set(m) <= {"tag", "include", "exclude", "prompt"}
            for req in m["include"]:
                assert set(req) <= {"class", "count", "color", "position"}
                if "position" in req:
                    rel, i = req["position"]
                    assert rel in ("left of", "right of", "above", "below") and i == 0


def test_captions_match_their_images():
    """>= 99.5% of (caption, ground-truth render) pairs pass GenEval's rule, in every category."""
    results = Counter()
    failures = []
    samples = [(s.meta, s.image) for s in training_samples(700, seed=1, size=64)
               if s.tag != "describe"]
    samples += [(s.meta, s.image) for s in training_samples(300, seed=2, size=128)
                if s.tag != "describe"]
    rng = np.random.default_rng(3)
    samples += [(m, render(C.scene_for(rng, m), 96)) for m in eval_prompts() for _ in range(2)]
    for meta, image in samples:
        ok, why = evaluate(detect(image), meta)
        results[meta["tag"], ok] += 1
        if not ok:
            failures.append((meta["prompt"], why))
    for tag in C.TAGS:
        n = results[tag, True] + results[tag, False]
        assert n >= 100 and results[tag, True] / n >= 0.99, (tag, failures)
    total = sum(results.values())
    assert sum(v for (t, ok), v in results.items() if ok) / total >= 0.995, failures


def test_descriptions_and_answers_match_the_image():
    """Describe answers equal the description of what the detector sees; counts, colours, shapes,
    existence and positions agree with the detections."""
    parsers = {
        "count": re.compile(r"How many (\w+) are there\?"),
        "color": re.compile(r"What color is the (\w+)\?"),
        "shape": re.compile(r"What shape is the (\w+) object\?"),
        "exist": re.compile(r"Is there an? (\w+) (\w+)\?"),
        "position": re.compile(r"Is the (\w+) (?:above or below|left or right of) the (\w+)\?"),
    }
    singular = {p: s for s, p in PLURALS.items()}
    kinds, exist = Counter(), Counter()
    for s in training_samples(300, seed=4, size=96):
        dets = detect(s.image)
        by_shape = {d.shape: d for d in dets}
        for qa in s.qa:
            q, a, kind = qa["question"], qa["answer"], qa["kind"]
            kinds[kind] += 1
            if kind == "describe":
                assert a == C.describe_objects(dets) == C.describe(s.scene)
                continue
            g = parsers[kind].fullmatch(q).groups()
            if kind == "count":
                assert C.NUMBERS[sum(d.shape == singular[g[0]] for d in dets)] == a
            elif kind == "color":
                assert [d.color for d in dets if d.shape == g[0]] == [a]
            elif kind == "shape":
                assert [d.shape for d in dets if d.color == g[0]] == [a]
            elif kind == "exist":
                exist[a] += 1
                assert any((d.color, d.shape) == g for d in dets) == (a == "yes")
            else:
                rels = relative_position(by_shape[g[0]].bbox, by_shape[g[1]].bbox)
                assert {r.split()[0] for r in rels} == {a}
    assert exist["yes"] == exist["no"] > 0                  # POPE's balance
    assert all(kinds[k] > 50 for k in ("count", "color", "shape", "position", "describe"))


def test_describe_wording():
    from shapes.world import Obj, Scene
    objs = [Obj("star", "green", 0.1, 0.1, 0.1), Obj("circle", "red", 0.5, 0.5, 0.1),
            Obj("circle", "blue", 0.8, 0.2, 0.1), Obj("circle", "red", 0.2, 0.8, 0.1)]
    assert C.describe(Scene(tuple(objs))) == "two red circles, a blue circle and a green star"
    assert C.describe(Scene(tuple(objs[:1]))) == "a green star"
    assert C.describe(Scene(tuple(objs[:2]))) == "a red circle and a green star"
    assert C.describe_objects([]) == "nothing"
