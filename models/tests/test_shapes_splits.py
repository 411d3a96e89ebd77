"""The held-out compositions never reach the training stream; the evaluation set is made of them."""
import json
import re
from collections import Counter

from shapes import captions as C
from shapes.splits import (HELD_COUNTS, HELD_PAIRS, HELD_RELATIONS, TRAIN, VQA_KINDS, canonical,
                           eval_prompts, heldout_vqa, seen_vqa, training_sample, training_samples)
from shapes.world import COLORS, PLURALS, SHAPES

SHAPE_RE = "|".join(SHAPES)
COLOR_RE = "|".join(COLORS)
REL_RE = "above|below|left of|right of"
PAIR_TEXT = re.compile(rf"\b({COLOR_RE}) ({SHAPE_RE})(?:e?s)?\b")
COUNT_TEXT = re.compile(rf"\b({'|'.join(C.NUMBERS)}) (?:(?:{COLOR_RE}) )?(\w+)\b")
REL_TEXT = re.compile(rf"\b({SHAPE_RE}) ({REL_RE}) (?:an? )(?:(?:{COLOR_RE}) )?({SHAPE_RE})\b")
SINGULAR = {p: s for s, p in PLURALS.items()}


def compositions(sample) -> tuple[set, set, set]:
    """Every colour-shape pair, (count, shape) and canonical relation that the sample's caption,
    questions and answers state, read off the text itself."""
    pairs, counts, rels = set(), set(), set()
    texts = [sample.caption] + [q["question"] + " " + q["answer"] for q in sample.qa]
    for t in texts:
        pairs |= {(c, s) for c, s in PAIR_TEXT.findall(t)}
        rels |= {canonical(a, r, b) for a, r, b in REL_TEXT.findall(t)}
        for num, word in COUNT_TEXT.findall(t):
            if word in SINGULAR:
                counts.add((C.NUMBERS.index(num), SINGULAR[word]))
    for qa in sample.qa:     # questions whose answer completes a composition
        q, a = qa["question"], qa["answer"]
        if qa["kind"] == "color":
            pairs.add((a, q.split()[-1].rstrip("?")))
        elif qa["kind"] == "shape":
            pairs.add((q.split()[4], a))
        elif qa["kind"] == "count":
            counts.add((C.NUMBERS.index(a), SINGULAR[q.split()[2]]))
        elif qa["kind"] == "position":
            m = re.fullmatch(r"Is the (\w+) .* the (\w+)\?", q)
            rels.add(canonical(m[1], {"left": "left of", "right": "right of"}.get(a, a), m[2]))
    return pairs, counts, rels


def test_heldout_never_in_training_stream():
    seen_pairs, seen_counts, seen_rels = set(), set(), set()
    for s in training_samples(20000, seed=0, size=None):
        pairs, counts, rels = compositions(s)
        # in the text
        assert not pairs & HELD_PAIRS and not counts & HELD_COUNTS and not rels & HELD_RELATIONS, \
            (s.caption, s.qa)
        # and in the image
        assert TRAIN.scene(s.scene), s.scene
        seen_pairs |= pairs
        seen_counts |= {(n, sh) for n, sh in counts if n >= 2}
        seen_rels |= rels
    # everything else is taught
    assert seen_pairs == {(c, s) for c in COLORS for s in SHAPES} - HELD_PAIRS
    assert seen_counts == {(n, s) for n in C.COUNTS for s in SHAPES} - HELD_COUNTS
    assert seen_rels == {(a, r, b) for a in SHAPES for b in SHAPES if a != b
                         for r in ("above", "left of")} - HELD_RELATIONS


def test_training_stream_mix_and_indexing():
    samples = list(training_samples(700, seed=9, size=None))
    tags = Counter(s.tag for s in samples)
    assert set(tags) == set(C.TAGS) | {"describe"} and min(tags.values()) > 60
    assert 1 <= min(len(s.scene.objects) for s in samples)
    assert max(len(s.scene.objects) for s in samples) == 4
    # sample i does not depend on what came before it (shardable)
    later = next(training_samples(1, seed=9, size=None, start=321))
    assert later.caption == samples[321].caption and later.scene == samples[321].scene
    assert training_sample(9, 5, None).qa == samples[5].qa


def test_eval_prompts_are_heldout():
    prompts = eval_prompts()
    assert prompts == eval_prompts()                       # deterministic
    assert len({p["prompt"] for p in prompts}) == len(prompts)
    tags = Counter(p["tag"] for p in prompts)
    assert tags == {"single_object": 5, "two_object": 10, "counting": len(HELD_COUNTS),
                    "colors": len(HELD_PAIRS), "position": 2 * len(HELD_RELATIONS),
                    "color_attr": 24}
    for p in prompts:
        json.dumps(p)
        inc = p["include"]
        if p["tag"] == "counting":
            assert (inc[0]["count"], inc[0]["class"]) in HELD_COUNTS
        elif p["tag"] in ("colors", "color_attr"):
            assert any((r["color"], r["class"]) in HELD_PAIRS for r in inc)
        elif p["tag"] == "position":
            rel, _ = inc[1]["position"]
            assert canonical(inc[1]["class"], rel, inc[0]["class"]) in HELD_RELATIONS


def test_heldout_vqa():
    items = heldout_vqa(120, seed=0, size=None)
    assert [i["kind"] for i in items[:6]] == list(VQA_KINDS)
    assert Counter(i["answer"] for i in items if i["kind"] == "exist") == {"yes": 10, "no": 10}
    for it in items:
        objs, q, a = it["scene"].objects, it["question"], it["answer"]
        pairs = {(o.color, o.shape) for o in objs}
        if it["kind"] == "color":
            shape = q.split()[-1].rstrip("?")
            assert [o.color for o in objs if o.shape == shape] == [a] and (a, shape) in HELD_PAIRS
        elif it["kind"] == "shape":
            color = q.split()[4]
            assert [o.shape for o in objs if o.color == color] == [a] and (color, a) in HELD_PAIRS
        elif it["kind"] == "exist":
            pair = tuple(q.rstrip("?").split()[-2:])
            assert pair in HELD_PAIRS and (pair in pairs) == (a == "yes")
        elif it["kind"] == "count":
            shape = SINGULAR[q.split()[2]]
            n = sum(o.shape == shape for o in objs)
            assert C.NUMBERS[n] == a and (n, shape) in HELD_COUNTS
        elif it["kind"] == "position":
            m = re.fullmatch(r"Is the (\w+) .* the (\w+)\?", q)
            rel = {"left": "left of", "right": "right of"}.get(a, a)
            assert canonical(m[1], rel, m[2]) in HELD_RELATIONS
        else:
            assert a == C.describe(it["scene"]) and pairs & HELD_PAIRS


def test_no_heldout_answer_follows_its_question_in_training():
    # the held-out set asks only for answers that training never gives after the same question
    # (README, "Questions whose answer never varies"): what its VQA measures is generalisation alone
    said: dict[str, set[str]] = {}
    for s in training_samples(3000, size=None):
        for q in s.qa:
            said.setdefault(q["question"], set()).add(q["answer"])
    items = heldout_vqa(240, seed=0, size=None)
    assert {i["kind"] for i in items if i["question"] in said} >= {"color", "shape", "count", "position", "describe"}
    assert not [i for i in items if i["answer"] in said.get(i["question"], ())]


def test_seen_vqa_asks_every_kind_about_seen_compositions_of_stream_1():
    items = seen_vqa(60, size=None)
    assert [i["kind"] for i in items] == list(VQA_KINDS) * 10
    assert Counter(i["answer"] for i in items if i["kind"] == "exist") == {"yes": 5, "no": 5}
    scenes = [str(training_sample(1, i, size=None).scene) for i in range(400)]
    for it in items:
        # the question is the scene's own (its answer right), and the scene is one of stream 1's
        assert str(it["scene"]) in scenes
        assert all(TRAIN.pair(o.color, o.shape) for o in it["scene"].objects)
        if it["kind"] == "describe":
            assert it["answer"] == C.describe(it["scene"])
    assert seen_vqa(6, size=64)[0]["image"].size == (64, 64)
    assert [q["question"] for q in seen_vqa(6, size=None)] == [q["question"] for q in items[:6]]
