"""train.diagnose: the labelling it judges samples by, and a small run on the shipped default."""
from pathlib import Path

import torch

from shapes.splits import seen_prompts
from train.diagnose import (asked_objects, class_geometry, first_step_attributes, held_out_pairs, latent_geometry, nearest_class, one_token_tests,
                            token_verdicts)

ROOT = Path(__file__).resolve().parents[2]


def test_clean_tokens_are_labelled_as_themselves_and_judged_exact():
    torch.manual_seed(0)
    bank = torch.randn(40, 16)
    cls = torch.tensor([0] * 30 + list(range(11, 21)))
    got = nearest_class(bank + 0.01 * torch.randn(40, 16), bank, cls)
    assert torch.equal(got, cls)
    v = token_verdicts(got, cls)
    assert (v["exact_given_object"], v["background_given_object"], v["object_given_background"]) == (1.0, 0.0, 0.0)
    assert v["object_rate_sampled"] == v["object_rate_true"] == 0.25
    empty = token_verdicts(torch.zeros(40, dtype=torch.long), cls)
    assert (empty["exact_given_object"], empty["background_given_object"]) == (0.0, 1.0)
    assert (empty["object_rate_sampled"], empty["object_rate_true"]) == (0.0, 0.25)


def test_seen_prompts_are_captions_of_seen_compositions_with_their_object_counts():
    metas = seen_prompts(12)
    assert len(metas) == 12 and all(m["tag"] != "describe" for m in metas)
    assert all(asked_objects(m) >= 1 for m in metas)


def test_one_token_tests_run_on_the_shipped_default():
    rows = one_token_tests(ROOT / "models/default/checkpoint", scenes=8, masked=(1, 16))
    assert [(r["masked"], r["prompt"]) for r in rows] == [(1, "caption"), (1, "unconditional"), (16, "caption"), (16, "unconditional")]
    for r in rows:
        assert r["tokens"] == 8 * 16 or r["masked"] == 1
        for k in ("exact_given_object", "background_given_object", "object_given_background"):
            assert 0.0 <= r[k] <= 1.0
    assert 0.0 <= rows[0]["probe"]["accuracy"] <= 1.0


def test_first_step_attributes_run_on_the_shipped_default():
    out = first_step_attributes(ROOT / "models/default/checkpoint", scenes=300, cfgs=(1.0, 3.0))
    assert out["scenes"] > 0
    assert 0.0 <= out["probe_shape"] <= 1.0 and 0.0 <= out["probe_colour"] <= 1.0
    assert [h["cfg"] for h in out["head"]] == [1.0, 3.0]
    for h in out["head"]:
        assert h["tokens"] == out["scenes"] * 16 and 0 <= h["objects_drawn"] <= h["tokens"]
        if h["objects_drawn"]:
            assert 0.0 <= h["shape_right"] <= 1.0 and 0.0 <= h["colour_right"] <= 1.0


def test_latent_geometry_runs_on_the_shipped_default():
    g = latent_geometry(ROOT / "models/default/checkpoint", scenes=200)
    assert g["tokens"] == 200 * 16 and 0 < g["classes"] <= 30
    assert 0.0 < g["spread_objects"] and 0.0 < g["nearest_other_min"] <= g["nearest_other"]
    assert g["nearest_other_min"] <= g["colour_min"] <= g["colour_mean"]
    assert 0.0 <= g["nearest_centroid_objects"] <= 1.0


def test_held_out_pairs_reads_every_held_pair_in_every_cell_of_the_shipped_default():
    from shapes.splits import HELD_PAIRS
    h = held_out_pairs(ROOT / "models/default/checkpoint", scenes=200)
    assert set(h["pairs"]) == {f"{c} {s}" for c, s in HELD_PAIRS}
    for p in h["pairs"].values():
        assert p["cells"] == 16 and all(0 <= p[k] <= 16 for k in ("colour", "shape", "decoded"))
    # the shipped VAE decodes most held-out pairs back (0.82 measured)
    assert h["decoded"] >= 0.5 and 0.0 <= h["colour"] <= 1.0 and 0.0 <= h["shape"] <= 1.0


def test_class_geometry_measures_spread_and_distances():
    torch.manual_seed(0)
    # background at 0, red and orange circles (classes 11, 12) 3 apart, a blue star (43) 10 away
    cents = {0: torch.zeros(16), 11: torch.full((16,), 2.5), 12: torch.full((16,), 2.5), 43: torch.zeros(16)}
    cents[12][0] += 3.0
    cents[43][1] = 10.0
    cls = torch.tensor([k for k in cents for _ in range(50)])
    noise = torch.randn(len(cls), 16)
    noise = noise / noise.norm(dim=1, keepdim=True) * 0.5     # every latent 0.5 from its point
    bank = torch.stack([cents[int(k)] for k in cls]) + noise
    g = class_geometry(bank, cls)
    assert g["classes"] == 3 and g["tokens"] == 200
    assert abs(g["spread_objects"] - 0.5) < 0.05 and abs(g["spread_background"] - 0.5) < 0.05
    assert abs(g["colour_min"] - 3.0) < 0.2 and abs(g["colour_mean"] - 3.0) < 0.2   # the one same-shape pair
    assert abs(g["nearest_other_min"] - 3.0) < 0.2 and g["nearest_other"] > 3.0
    assert g["nearest_centroid_objects"] == 1.0
