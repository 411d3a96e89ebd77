"""The embedded default's parity vectors (models/default/parity) are what the reference draws now
from the shipped checkpoint at the shipped package's settings: the engine test that replays them
(src/engine/default.browser.test.ts) then compares the engine with the reference on the real model."""
import json
from pathlib import Path

from safetensors.torch import load_file

from harmon.export.onnx_export import rel_err
from harmon.parity import build

DEFAULT = Path(__file__).resolve().parents[1] / "default"


def test_parity_vectors_match_the_shipped_checkpoint_and_settings():
    meta = json.loads((DEFAULT / "parity" / "vectors.json").read_text())
    committed = load_file(str(DEFAULT / "parity" / "vectors.safetensors"))
    fresh, fresh_meta = build(DEFAULT / "checkpoint", DEFAULT / "package", meta["prompt"], meta["seed"])
    assert fresh_meta == meta  # the package's settings have not changed since the vectors were made
    assert (fresh["orders"] == committed["orders"]).all()
    assert rel_err(fresh["noise"], committed["noise"]) == 0
    # 1e-4: torch's thread count changes the summation order (3.5e-5 seen with one thread)
    assert rel_err(fresh["latents"], committed["latents"]) <= 1e-4
