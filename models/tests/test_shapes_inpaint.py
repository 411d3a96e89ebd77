"""ShapesInpaint: the cases (held-out asked objects, token-aligned masks that cut no other object,
whatever the world's layout), the files prepare writes, and the verdicts: the edit done right
scores full marks, the untouched source and broken outsides fail."""
import json
import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw

from shapes import inpaint as I
from shapes.captions import article, describe
from shapes.detect import Detection
from shapes.splits import HELD_PAIRS
from shapes.world import BACKGROUNDS, Obj, Scene, render


def check_case(case, size=64):
    src, tgt = case["_source"], case["_target"]
    removed, asked = src.objects[-1], tgt.objects[-1]
    assert src.objects[:-1] == tgt.objects[:-1]
    assert (asked.cx, asked.cy, asked.r) == (removed.cx, removed.cy, removed.r)
    assert asked.shape != removed.shape and asked.color != removed.color
    shapes = [o.shape for o in src.objects] + [asked.shape]
    assert len(set(shapes)) == len(shapes) and 2 <= len(src.objects) <= 4
    assert all((o.color, o.shape) not in HELD_PAIRS for o in src.objects)
    assert ((asked.color, asked.shape) in HELD_PAIRS) == (case["tag"] == "inpaint_heldout")
    assert case["asked"] == {"class": asked.shape, "color": asked.color}
    x0, y0, x1, y1 = case["region"]
    assert all(v % I.STRIDE == 0 for v in case["region"]) and x0 < x1 and y0 < y1
    bx0, by0, bx1, by1 = (v * size for v in removed.bbox)
    assert x0 <= bx0 and y0 <= by0 and bx1 <= x1 and by1 <= y1      # the whole object is masked
    assert not any(I._touches(o, case["region"], size) for o in src.objects[:-1])


def test_cases_are_deterministic_and_well_formed():
    cases = [I.make_case(0, i) for i in range(24)]
    assert [c["tag"] for c in cases[:4]] == list(I.TAGS) * 2
    for c in cases:
        check_case(c)
        assert c["prompt"] == describe(c["_target"]) == c["prompts"]["describe"]
        assert c["prompts"]["object"] in (f"a {c['asked']['color']} {c['asked']['class']}",
                                          f"an {c['asked']['color']} {c['asked']['class']}")
    again = I.make_case(0, 5)
    assert again["source"] == cases[5]["source"] and again["prompt"] == cases[5]["prompt"]
    assert I.make_case(1, 5)["source"] != cases[5]["source"]
    assert I.make_case(0, 1, phrasing="object")["prompt"] == cases[1]["prompts"]["object"]
    with pytest.raises(ValueError):
        I.make_case(0, 0, phrasing="caption")


def test_token_region_covers_the_touched_tokens():
    assert I.token_region(Obj("circle", "red", 0.125, 0.375, 0.1), 64) == (0, 16, 16, 32)
    # a box across token borders: [12.8, 32) x [35.2, 54.4) at 64 px
    assert I.token_region(Obj("star", "red", 0.35, 0.7, 0.15), 64) == (0, 32, 32, 64)
    assert I.token_region(Obj("star", "red", 0.35, 0.7, 0.15), 128) == (16, 64, 64, 112)


def test_robust_to_a_free_placement_world(monkeypatch):
    """Objects of random sizes anywhere (the world before its token grid): the masks stay
    token-aligned, cover the removed object and cut no other one."""
    def free(rng, spec, color_ok=None, tries=2000):
        objs = []
        while len(objs) < len(spec.objects):
            shape, color = spec.objects[len(objs)]
            r = float(rng.uniform(0.09, 0.16))
            o = Obj(shape, color, *(float(v) for v in rng.uniform(0.03 + r, 0.97 - r, 2)), r)
            if all(abs(o.cx - p.cx) >= o.r + p.r + 0.04 or abs(o.cy - p.cy) >= o.r + p.r + 0.04 for p in objs):
                objs.append(o)
        return Scene(tuple(objs), "white")
    monkeypatch.setattr(I, "sample_scene", free)
    for i in range(16):
        case = I.make_case(0, i)
        check_case(case)
        assert I.judge(I.detect(render(case["_target"], 64)), case)["correct"]


def write_results(root, lines, pick):
    """GenEval's layout under root/images with `pick(i, line)` as image i's sample."""
    for i, line in enumerate(lines):
        d = root / "images" / f"{i:05d}" / "samples"
        d.mkdir(parents=True)
        (d.parent / "metadata.jsonl").write_text(json.dumps(line) + "\n")
        pick(i, line).save(d / "0000.png")


def test_prepare_and_score_the_truth_and_the_source(tmp_path):
    lines = I.prepare(tmp_path, quick=True)
    assert len(lines) == 4 and [l["tag"] for l in lines] == list(I.TAGS) * 2
    assert lines == [json.loads(l) for l in (tmp_path / "prompts.jsonl").read_text().splitlines()]
    for l in lines:
        scene, mask = Image.open(tmp_path / l["image"]), Image.open(tmp_path / l["mask"])
        assert scene.size == mask.size == (64, 64)
        m = np.asarray(mask)
        x0, y0, x1, y1 = l["region"]
        assert (m[y0:y1, x0:x1] == 255).all() and m.sum() == 255 * (x1 - x0) * (y1 - y0)
        assert np.array_equal(np.asarray(scene), np.asarray(render(Scene.from_dict(l["source"]), 64)))
    truth = tmp_path / "truth"
    truth.mkdir()
    write_results(truth, lines, lambda i, l: Image.open(tmp_path / l["target_image"]))
    for sub in ("scenes", "masks"):
        shutil.copytree(tmp_path / sub, truth / sub)
    s = I.score(truth, "truth")
    assert s["overall"] == 1.0 and s["inside"] == s["outside"] == 1.0 and s["drift"] == 0.0
    assert not s["missing"] and s["images"] == 4
    assert json.loads((truth / "results.json").read_text())["label"] == "truth"
    # the source unedited: the outside is right, the mask still holds the removed object
    write_results(tmp_path, lines, lambda i, l: Image.open(tmp_path / l["image"]))
    s = I.score(tmp_path)
    assert s["overall"] == 0.0 and s["inside"] == 0.0 and s["outside"] == 1.0
    r = json.loads((tmp_path / "results.json").read_text())["results"][0]
    asked = lines[0]["asked"]
    assert r["reason"].startswith(f"expected {article(asked['color'] + ' ' + asked['class'])} in the mask")


def test_outside_changes_fail():
    case = I.make_case(0, 2)
    img = render(case["_target"], 64)
    assert I.judge(I.detect(img), case) == {"inside": True, "outside": True, "correct": True, "reason": ""}
    gone = img.copy()                   # one of the other objects painted over
    o = case["_target"].objects[0]
    ImageDraw.Draw(gone).rectangle([v * 64 for v in o.bbox], fill=BACKGROUNDS["white"])
    v = I.judge(I.detect(gone), case)
    assert v["inside"] and not v["outside"] and not v["correct"] and "gone or changed" in v["reason"]
    assert I.drift(gone, render(case["_source"], 64), case["region"]) > 0
    x0, y0, x1, y1 = case["region"]
    cx, cy = next((x, y) for x in (3, 61) for y in (3, 61) if not (x0 <= x < x1 and y0 <= y < y1))
    extra = Detection("circle", "red", (cx - 3.0, cy - 3.0, cx + 3.0, cy + 3.0), 30, 0.9)
    v = I.judge(I.detect(img) + [extra], case)
    assert v["inside"] and not v["outside"] and "new outside the mask: red circle" in v["reason"]
    crowded = Detection(case["asked"]["class"], "blue", (x0 + 2.0, y0 + 2.0, x0 + 8.0, y0 + 8.0), 30, 0.9)
    v = I.judge(I.detect(img) + [crowded], case)
    assert not v["inside"] and "only the" in v["reason"]


def test_cli(tmp_path, capsys):
    assert I.main(["prepare", str(tmp_path), "--cases", "3", "--phrasing", "object", "--seed", "2"]) == 0
    lines = [json.loads(l) for l in (tmp_path / "prompts.jsonl").read_text().splitlines()]
    assert len(lines) == 3 and all(l["prompt"] == l["prompts"]["object"] for l in lines)
    write_results(tmp_path, lines, lambda i, l: Image.open(tmp_path / l["target_image"]))
    assert I.main(["score", str(tmp_path), "--label", "L"]) == 0
    out = capsys.readouterr().out
    assert "L\nShapesInpaint" in out and "overall" in out and "1.0000" in out
