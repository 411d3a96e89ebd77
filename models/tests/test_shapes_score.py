"""GenEval's rules on hand-made detections, summaries, VQA matching, the report and the CLI."""
import json

import numpy as np

from shapes import captions as C
from shapes.detect import Detection
from shapes.score import (THRESHOLD, evaluate, main, normalize_answer, report, summarize_geneval,
                          summarize_vqa)
from shapes.splits import eval_prompts
from shapes.world import render


def det(shape, color, cx, cy, r=5.0, score=0.95):
    return Detection(shape, color, (cx - r, cy - r, cx + r, cy + r), int(4 * r * r), score)


def ok(dets, meta):
    return evaluate(dets, meta)[0]


def test_single_and_two_objects():
    assert ok([det("circle", "red", 20, 20)], C.single_object("circle"))
    assert not ok([det("square", "red", 20, 20)], C.single_object("circle"))
    assert not ok([], C.single_object("circle"))
    # extra objects are not penalised (GenEval has no exclude clause here)
    assert ok([det("circle", "red", 20, 20), det("star", "blue", 60, 60)],
              C.single_object("circle"))
    two = C.two_object("circle", "star")
    assert ok([det("star", "blue", 60, 60), det("circle", "red", 20, 20)], two)
    assert not ok([det("circle", "red", 20, 20), det("circle", "blue", 60, 60)], two)


def test_counting_is_exact():
    meta = C.counting("square", 3)
    squares = [det("square", "red", 10 + 20 * i, 30) for i in range(4)]
    assert ok(squares[:3], meta)
    assert ok(squares[:3] + [det("circle", "red", 50, 80)], meta)     # other classes don't matter
    correct, why = evaluate(squares, meta)
    assert not correct and why == "expected square<4, found 4"      # GenEval's exclude clause
    assert not ok(squares[:2], meta)


def test_colors_checks_the_most_confident_objects():
    meta = C.colors("circle", "red")
    assert ok([det("circle", "red", 20, 20)], meta)
    assert not ok([det("circle", "orange", 20, 20)], meta)
    # GenEval checks only the top-`count` detections of the class, in confidence order
    blue, red = det("circle", "blue", 20, 20, score=0.99), det("circle", "red", 60, 60, score=0.9)
    assert not ok([blue, red], meta)
    blue, red = det("circle", "blue", 20, 20, score=0.9), det("circle", "red", 60, 60, score=0.99)
    assert ok([blue, red], meta)


def test_position():
    meta = C.position("circle", "above", "square")        # circle above square
    assert ok([det("square", "red", 50, 80), det("circle", "blue", 50, 20)], meta)
    assert not ok([det("square", "red", 50, 20), det("circle", "blue", 50, 80)], meta)
    # a diagonal holds both relations
    assert ok([det("square", "red", 80, 80), det("circle", "blue", 20, 20)], meta)
    assert not ok([det("square", "red", 50, 50), det("circle", "blue", 51, 49)], meta)  # too close
    assert not ok([det("circle", "blue", 50, 20)], meta)                  # no reference object
    correct, why = evaluate([det("square", "red", 20, 50), det("circle", "blue", 80, 50)], meta)
    assert not correct and "right of" in why


def test_color_attribution():
    meta = C.color_attr("red", "circle", "blue", "star")
    assert ok([det("circle", "red", 20, 20), det("star", "blue", 60, 60)], meta)
    assert not ok([det("circle", "blue", 20, 20), det("star", "red", 60, 60)], meta)   # swapped
    assert not ok([det("circle", "red", 20, 20)], meta)


def test_low_confidence_detections_are_dropped():
    weak = THRESHOLD - 0.05
    assert not ok([det("circle", "red", 20, 20, score=weak)], C.single_object("circle"))
    meta = C.counting("circle", 2)
    assert ok([det("circle", "red", 20, 20), det("circle", "red", 60, 60),
               det("circle", "red", 90, 90, score=weak)], meta)


def test_overall_is_the_mean_of_categories():
    results = ([{"tag": "counting", "correct": True}] * 3 + [{"tag": "counting", "correct": False}]
               + [{"tag": "colors", "correct": False}] * 2)
    s = summarize_geneval(results)
    assert s["tags"]["counting"] == {"correct": 3, "total": 4, "accuracy": 0.75}
    assert s["tags"]["colors"]["accuracy"] == 0.0
    assert s["overall"] == 0.375 and s["images"] == 6                 # not 3 / 6
    assert set(s["missing"]) == set(C.TAGS) - {"counting", "colors"}


def test_vqa_normalisation_and_accuracy():
    assert normalize_answer(" Two. ") == "two" == normalize_answer("2")
    assert normalize_answer("Left of") == "left" == normalize_answer("left")
    assert normalize_answer("The red circle!") == "red circle"
    assert normalize_answer("a red circle and a blue square") == "red circle and blue square"
    items = [{"kind": "count", "answer": "two", "prediction": "2"},
             {"kind": "count", "answer": "three", "prediction": "two"},
             {"kind": "exist", "answer": "yes", "prediction": "Yes."},
             {"kind": "color", "answer": "red", "prediction": "orange"}]
    v = summarize_vqa(items)
    assert v["kinds"]["count"]["accuracy"] == 0.5 and v["kinds"]["exist"]["accuracy"] == 1.0
    assert v["accuracy"] == 0.5 and v["items"] == 4


def test_report_and_cli_on_a_geneval_folder(tmp_path, capsys):
    """Ground-truth renders of the evaluation prompts, in GenEval's layout, score 1.0."""
    rng = np.random.default_rng(0)
    prompts = [p for i, p in enumerate(eval_prompts()) if i % 4 == 0]
    for i, meta in enumerate(prompts):
        d = tmp_path / "images" / f"{i:05d}"
        (d / "samples").mkdir(parents=True)
        (d / "metadata.jsonl").write_text(json.dumps(meta))
        for j in range(2):
            render(C.scene_for(rng, meta), 96).save(d / "samples" / f"{j:04d}.png")
    assert main([str(tmp_path / "images"), "--json", str(tmp_path / "out.json")]) == 0
    out = json.loads((tmp_path / "out.json").read_text())
    assert out["geneval"]["overall"] == 1.0 and len(out["results"]) == 2 * len(prompts)
    assert set(out["geneval"]["tags"]) == set(C.TAGS)
    printed = capsys.readouterr().out
    assert "overall" in printed and "color_attr" in printed
    text, data = report(out["geneval"], summarize_vqa([{"kind": "count", "answer": "two",
                                                         "prediction": "two"}]))
    assert "VQA" in text and data["vqa"]["accuracy"] == 1.0
    json.dumps(data)
