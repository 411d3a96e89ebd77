"""The synthetic world: sampling constraints, rendering, determinism, GenEval's position rule."""
import numpy as np
import pytest

from shapes.splits import training_sample
from shapes.world import (BACKGROUNDS, COLORS, GAP, MARGIN, SHAPES, Obj, Scene, Spec, clearly,
                          relative_position, render, sample_scene)


def test_same_seed_same_bytes():
    for i in (0, 7, 123):
        a, b = training_sample(5, i, 128), training_sample(5, i, 128)
        assert a.caption == b.caption and a.qa == b.qa and a.scene == b.scene
        assert a.image.tobytes() == b.image.tobytes()
    # another seed or index gives another sample
    assert training_sample(6, 7, 64).image.tobytes() != training_sample(5, 7, 64).image.tobytes()
    assert training_sample(5, 8, 64).scene != training_sample(5, 7, 64).scene


def test_sample_scene_is_a_function_of_the_rng():
    spec = Spec([("circle", None), ("star", "red"), ("cross", None)], [(1, "above", 0)])
    a = sample_scene(np.random.default_rng(11), spec)
    b = sample_scene(np.random.default_rng(11), spec)
    assert a == b and Scene.from_dict(a.to_dict()) == a


def test_scenes_respect_their_spec_and_layout():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 5))
        shapes = [SHAPES[rng.integers(len(SHAPES))] for _ in range(n)]
        rel = ["above", "below", "left of", "right of"][rng.integers(4)]
        rels = [(1, rel, 0)] if n >= 2 else []
        spec = Spec([(s, "green" if k == 0 else None) for k, s in enumerate(shapes)], rels)
        scene = sample_scene(rng, spec, color_ok=lambda c, s: not (c == "purple" and s == "star"))
        objs = scene.objects
        assert [o.shape for o in objs] == shapes and objs[0].color == "green"
        assert not any(o.color == "purple" and o.shape == "star" for o in objs)
        for o in objs:
            assert MARGIN - 1e-9 <= o.cx - o.r and o.cx + o.r <= 1 - MARGIN + 1e-9
            assert MARGIN - 1e-9 <= o.cy - o.r and o.cy + o.r <= 1 - MARGIN + 1e-9
        for i in range(n):
            for j in range(i):
                a, b = objs[i], objs[j]
                need = a.r + b.r + GAP - 1e-9
                assert abs(a.cx - b.cx) >= need or abs(a.cy - b.cy) >= need
        for i, rel, j in rels:
            assert clearly(objs[i].bbox, objs[j].bbox, rel)
            assert relative_position(objs[i].bbox, objs[j].bbox) == {rel}


def test_relative_position_is_genevals_rule():
    box = lambda cx, cy, r=5: (cx - r, cy - r, cx + r, cy + r)
    assert relative_position(box(50, 20), box(50, 60)) == {"above"}
    assert relative_position(box(50, 60), box(50, 20)) == {"below"}
    assert relative_position(box(10, 50), box(60, 50)) == {"left of"}
    assert relative_position(box(90, 50), box(60, 50)) == {"right of"}
    assert relative_position(box(20, 20), box(70, 70)) == {"left of", "above"}   # both at once
    # centres closer than 0.1 x (sum of the sizes) on both axes: no relation at all
    assert relative_position(box(50, 50, 20), box(52, 51, 20)) == set()
    # the offset is shrunk per axis by 0.1 x (10 + 10) before the 0.5 test: 10 right and 7 down
    # is (0.82, 0.57) of its length, both over 0.5, but shrunk it is (8, 5) / 12.2 = (0.66, 0.41):
    # only "right of"
    assert relative_position(box(60, 57), box(50, 50)) == {"right of"}


@pytest.mark.parametrize("size", [64, 200, 512])
def test_render(size):
    scene = Scene((Obj("square", "orange", 0.3, 0.3, 0.1), Obj("circle", "blue", 0.7, 0.7, 0.15)),
                  "light grey")
    img = np.asarray(render(scene, size))
    assert img.shape == (size, size, 3)
    assert tuple(img[0, 0]) == BACKGROUNDS["light grey"]
    assert tuple(img[int(0.3 * size), int(0.3 * size)]) == COLORS["orange"]
    assert tuple(img[int(0.7 * size), int(0.7 * size)]) == COLORS["blue"]
    # anti-aliased edge: the square's edge at x = 0.2 * size falls mid-pixel only for some sizes,
    # but every pixel is a mix of background and one colour, never a third colour
    row = img[int(0.3 * size)].astype(float)
    bg, c = np.array(BACKGROUNDS["light grey"], float), np.array(COLORS["orange"], float)
    left = row[: int(0.5 * size)]
    a = ((left - bg) @ (c - bg)) / ((c - bg) @ (c - bg))
    assert np.abs(bg + a[:, None] * (c - bg) - left).max() < 2.0


def test_same_seed_same_bytes_across_processes():
    """Nothing depends on Python's per-process string hashing (set order, hash())."""
    import os
    import subprocess
    import sys

    code = ("import hashlib, json; from shapes.splits import training_sample, heldout_vqa\n"
            "h = hashlib.sha256()\n"
            "for i in range(40):\n"
            "    s = training_sample(3, i, 64)\n"
            "    h.update(s.image.tobytes() + json.dumps([s.meta, s.qa]).encode())\n"
            "for it in heldout_vqa(12, size=64):\n"
            "    h.update(it['image'].tobytes() + (it['question'] + it['answer']).encode())\n"
            "print(h.hexdigest())")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    digests = {subprocess.run([sys.executable, "-c", code], env={**env, "PYTHONHASHSEED": seed},
                              capture_output=True, text=True, check=True).stdout
               for seed in ("1", "2")}
    assert len(digests) == 1 and len(digests.pop().strip()) == 64


def test_objects_sit_in_the_token_grid():
    """At 64 px every 16 px token shows one of 5 x 6 shape-colour patterns or the plain background,
    identical wherever it appears (the world's grid is the VAE's token grid)."""
    from shapes.world import GRID, RADIUS, cell_center

    rng = np.random.default_rng(4)
    patterns: dict[bytes, tuple] = {}
    for _ in range(200):
        n = int(rng.integers(1, 5))
        scene = sample_scene(rng, Spec([(SHAPES[rng.integers(len(SHAPES))], None) for _ in range(n)]))
        img = np.asarray(render(scene, 64))
        where = {(round(o.cx * GRID - 0.5), round(o.cy * GRID - 0.5)): o for o in scene.objects}
        assert len(where) == n and all(o.r == RADIUS for o in scene.objects)
        assert all(cell_center(j * GRID + i) == (o.cx, o.cy) for (i, j), o in where.items())
        for j in range(GRID):
            for i in range(GRID):
                o = where.get((i, j))
                key = (o.shape, o.color) if o else "background"
                patch = img[16 * j: 16 * j + 16, 16 * i: 16 * i + 16].tobytes()
                assert patterns.setdefault(patch, key) == key
    assert len(set(patterns.values())) == len(set(patterns)) <= len(SHAPES) * len(COLORS) + 1
