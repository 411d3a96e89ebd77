import json
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models"))

from harmon.config import preset  # noqa: E402
from harmon.golden import randomize  # noqa: E402
from harmon.model import Harmon  # noqa: E402
from harmon.tokenizer_build import build_tokenizer, save_tokenizer  # noqa: E402

# key/shape listings of the released checkpoints (copied from shared/official-layout)
LAYOUT = Path(__file__).parent / "official_layout"


def read_layout(name: str) -> tuple[dict[str, tuple[int, ...]], int]:
    """The official key → shape listing and its stated value count."""
    keys, total = {}, None
    for line in (LAYOUT / name).read_text().splitlines():
        if line.startswith("#"):
            if "values" in line:
                total = int(line.split(",", 1)[1].split("values")[0].replace(",", "").strip())
            continue
        k, shape = line.split("\t")
        keys[k] = tuple(json.loads(shape))
    return keys, total


@pytest.fixture(scope="session")
def tiny_model() -> Harmon:
    torch.manual_seed(0)
    return randomize(Harmon(preset("tiny")), 0)


@pytest.fixture(scope="session")
def tiny_files(tmp_path_factory, tiny_model):
    """A tiny model in the official release layout: .pth, kl16.ckpt and a Qwen folder."""
    d = tmp_path_factory.mktemp("official")
    state = {k: v for k, v in tiny_model.state_dict().items() if not k.startswith("vae.")}
    torch.save(state, d / "harmon_tiny.pth")
    torch.save({"model": tiny_model.vae.state_dict()}, d / "kl16.ckpt")
    qwen = d / "qwen"
    save_tokenizer(build_tokenizer(tiny_model.cfg.llm.vocab_size), qwen)
    (qwen / "config.json").write_text(json.dumps(
        {"model_type": "qwen2", **tiny_model.cfg.llm.to_hf().to_dict()}))
    return d
