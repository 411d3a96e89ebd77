"""ShapesEval's files: prepare writes the held-out prompts and questions; scoring ground-truth
renders of the prompts and the true answers gives full marks (the pipeline loses nothing)."""
import json

import numpy as np
from PIL import Image

from shapes.captions import TAGS, scene_for
from shapes.evalset import grid, prepare, read_jsonl, score
from shapes.splits import TRAIN, eval_prompts, seen_prompts, seen_vqa
from shapes.world import render


def test_prepare_quick_one_prompt_per_category(tmp_path):
    prepare(tmp_path, quick=True, size=64)
    prompts = read_jsonl(tmp_path / "prompts.jsonl")
    assert [p["tag"] for p in prompts] == list(TAGS)
    assert all(p in eval_prompts() for p in prompts)
    qs = read_jsonl(tmp_path / "vqa" / "questions.jsonl")
    assert len(qs) == 6 and len({q["kind"] for q in qs}) == 6
    assert Image.open(tmp_path / "vqa" / qs[0]["image"]).size == (64, 64)


def test_prepare_seen_writes_the_validation_prompts_and_no_questions(tmp_path):
    prepare(tmp_path, seen=30, size=64)
    prompts = read_jsonl(tmp_path / "prompts.jsonl")
    assert prompts == seen_prompts(30) and {p["tag"] for p in prompts} == set(TAGS)
    # seen compositions only: every colour-shape pair a prompt names is one training draws
    pairs = [(o["color"], o["class"]) for p in prompts for o in p["include"] if o.get("color")]
    assert pairs and all(TRAIN.pair(c, s) for c, s in pairs)
    # single and two objects cannot be held out (the test set holds them all); the other four can
    held_tags = [str(p) for p in prompts if p["tag"] not in ("single_object", "two_object")]
    assert held_tags and not set(held_tags) & set(map(str, eval_prompts()))
    assert read_jsonl(tmp_path / "vqa" / "questions.jsonl") == []


def test_prepare_seen_with_vqa_writes_questions_about_seen_scenes(tmp_path):
    prepare(tmp_path, seen=6, n_vqa=12, size=64)
    qs = read_jsonl(tmp_path / "vqa" / "questions.jsonl")
    want = seen_vqa(12, size=64)
    assert [(q["kind"], q["question"], q["answer"]) for q in qs] == [(w["kind"], w["question"], w["answer"]) for w in want]
    assert Image.open(tmp_path / "vqa" / qs[0]["image"]).tobytes() == want[0]["image"].tobytes()


def test_truth_scores_full_marks(tmp_path):
    prepare(tmp_path, quick=True, size=64)
    rng = np.random.default_rng(0)
    for i, meta in enumerate(read_jsonl(tmp_path / "prompts.jsonl")):
        d = tmp_path / "images" / f"{i:05d}" / "samples"
        d.mkdir(parents=True)
        (d.parent / "metadata.jsonl").write_text(json.dumps(meta) + "\n")
        render(scene_for(rng, meta), 64).save(d / "0000.png")
    answers = [{**q, "prediction": q["answer"].upper() + "."} for q in read_jsonl(tmp_path / "vqa" / "questions.jsonl")]
    answers[0]["prediction"] = "something else"
    (tmp_path / "answers.jsonl").write_text("".join(json.dumps(a) + "\n" for a in answers))
    s = score(tmp_path, "truth")
    assert s["geneval"]["overall"] == 1.0 and not s["geneval"]["missing"]
    assert s["vqa"]["accuracy"] == 5 / 6
    assert json.loads((tmp_path / "results.json").read_text())["label"] == "truth"
    grid(tmp_path, tmp_path / "grid.png", per_tag=1)
    assert Image.open(tmp_path / "grid.png").size[0] > 6 * 128
