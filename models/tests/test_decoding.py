"""The reference decodes answers as the official image2text does: HF generate() on a from_pretrained
Qwen2, whose generation_config.json (repetition penalty) applies even with do_sample=False."""
import json

import numpy as np
import pytest
import torch

from harmon.decoding import GenerationConfigError, penalize, read_generation_config, understanding_settings
from harmon.text import TextCodec
from harmon.understand import Conversation, prepare_image

# Qwen2.5-0.5B/1.5B-Instruct's generation_config.json, with the tiny tokenizer's stop ids
QWEN_GENERATION = {"bos_token_id": None, "do_sample": True, "repetition_penalty": 1.1, "temperature": 0.7,
                   "top_p": 0.8, "top_k": 20}
NEW_TOKENS = 24


def test_penalize_is_hfs_rule():
    logits = torch.tensor([2.0, -3.0, 0.5, 0.0, -0.25, 4.0])
    out = penalize(logits, [0, 1, 1, 3, 4, 0], 1.1)  # repeats count once
    f = np.float32  # float32 arithmetic, the penalty rounded to float32 (torch's scalar ops)
    want = torch.tensor([f(2.0) / f(1.1), f(-3.0) * f(1.1), 0.5, 0.0, f(-0.25) * f(1.1), 4.0])
    assert torch.equal(out, want)
    assert torch.equal(logits, torch.tensor([2.0, -3.0, 0.5, 0.0, -0.25, 4.0]))  # input untouched
    from transformers.generation.logits_process import RepetitionPenaltyLogitsProcessor
    hf = RepetitionPenaltyLogitsProcessor(1.1)(torch.tensor([[0, 1, 1, 3, 4, 0]]), logits[None].clone())[0]
    assert torch.equal(out, hf)


def _llm_folder(tmp_path, tiny_model, codec, generation: dict | None):
    d = tmp_path / "qwen"
    tiny_model.llm.save_pretrained(d)
    gen = d / "generation_config.json"
    if generation is None:
        gen.unlink(missing_ok=True)
    else:
        stops = sorted(codec.stop_ids)
        gen.write_text(json.dumps({**generation, "eos_token_id": stops, "pad_token_id": codec.pad_id}))
    return d


def _hf_generate(folder, embeds, **kw) -> list[int]:
    from transformers import Qwen2ForCausalLM
    llm = Qwen2ForCausalLM.from_pretrained(folder, attn_implementation="eager").eval()
    with torch.no_grad():
        out = llm.generate(inputs_embeds=embeds, attention_mask=torch.ones(embeds.shape[:2], dtype=torch.long),
                           do_sample=False, max_new_tokens=NEW_TOKENS, **kw)
    return out[0].tolist()


@pytest.mark.parametrize("question", ["What is in the image?", "How many shapes are there?"])
def test_reference_decodes_like_hf_generate_from_pretrained(tmp_path, tiny_model, tiny_files, question):
    from harmon.golden import test_image
    codec = TextCodec.from_file(tiny_files / "qwen" / "tokenizer.json")
    folder = _llm_folder(tmp_path, tiny_model, codec, QWEN_GENERATION)
    pixels = prepare_image(test_image(), 64)
    gen = read_generation_config(folder)
    penalty = understanding_settings("0.5b", 256, gen)["repetition_penalty"]
    assert penalty == 1.1

    conv = Conversation(tiny_model, codec, pixels, repetition_penalty=penalty)
    embeds = conv.turn_embeddings(question)
    ours = conv.ask(question, max_new_tokens=NEW_TOKENS)
    plain = Conversation(tiny_model, codec, pixels).ask(question, max_new_tokens=NEW_TOKENS)
    hf = _hf_generate(folder, embeds)  # generation_config.json applies: penalised greedy
    hf = [t for t in hf if t not in codec.stop_ids]
    assert ours == hf
    assert ours != plain, "the penalty changed nothing here: the check could not fail"
    # overriding the penalty to 1 gives HF's plain greedy, which is ours without a penalty
    assert [t for t in _hf_generate(folder, embeds, repetition_penalty=1.0) if t not in codec.stop_ids] == plain


def test_generation_config_carry_over(tmp_path):
    assert read_generation_config(tmp_path) is None
    s = understanding_settings("custom", 64, None)
    assert s == {"size": 64, "repetition_penalty": 1.0, "generation_config": None}
    (tmp_path / "generation_config.json").write_text(json.dumps(QWEN_GENERATION))
    gen = read_generation_config(tmp_path)
    assert understanding_settings("1.5b", 256, gen) == {"size": 512, "repetition_penalty": 1.1,
                                                         "generation_config": QWEN_GENERATION}
    assert understanding_settings("0.5b", 256, gen, size=256)["size"] == 256
    (tmp_path / "generation_config.json").write_text(json.dumps({**QWEN_GENERATION, "num_beams": 4}))
    with pytest.raises(GenerationConfigError, match="num_beams = 4 changes greedy decoding"):
        read_generation_config(tmp_path)
    (tmp_path / "generation_config.json").write_text(json.dumps({"repetition_penalty": -1}))
    with pytest.raises(GenerationConfigError, match="positive number"):
        read_generation_config(tmp_path)


def test_shipped_default_states_what_the_exporter_writes():
    """The embedded default has no HF generation config: it answers at its 64² generation size, greedy."""
    from pathlib import Path

    from harmon.export.package import verify_package
    m = verify_package(Path(__file__).resolve().parents[1] / "default" / "package")
    c = m["config"]
    assert m["understanding"] == understanding_settings(c["name"], c["image_size"], None, c["image_size"])
    assert m["understanding"] == {"size": 64, "repetition_penalty": 1.0, "generation_config": None}
