"""The committed resize fixture (models/golden/pil_resize.json, read by the engine's resize test) is
what the installed PIL and the reference's prepare_image give."""
import base64
import json

import numpy as np

from harmon.pil_fixture import OUT, build


def _b(s: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(s), dtype=np.uint8).astype(np.int16)


def test_committed_pil_fixture_is_current():
    committed, fresh = json.loads(OUT.read_text()), build()
    for part in ("resize", "prepare"):
        assert len(committed[part]) == len(fresh[part])
        for a, b in zip(committed[part], fresh[part]):
            assert a["source"] == b["source"] and a["rgb"] == b["rgb"]
            # another Pillow build may round a coefficient differently: one level, never more
            assert np.abs(_b(a["expected"]) - _b(b["expected"])).max() <= 1
    for r, row in committed["photo"]["rows"].items():
        assert np.abs(_b(row) - _b(fresh["photo"]["rows"][r])).max() <= 1


def test_fixture_covers_up_and_down_and_the_official_photo():
    d = json.loads(OUT.read_text())
    ups = [c for c in d["resize"] if c["target"][0] > c["source"][0]]
    downs = [c for c in d["resize"] if c["target"][0] < c["source"][0]]
    assert ups and downs and any(c["source"][0] % 2 for c in d["resize"])
    assert d["photo"]["source"] == [640, 480] and d["photo"]["size"] == 512
