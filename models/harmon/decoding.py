"""How answers are decoded, as the official image2text does it (DESIGN.md §2, Understanding).

The official script calls Hugging Face `generate(inputs_embeds=…, do_sample=False)` on a Qwen2.5
made by `from_pretrained`, so the Qwen folder's `generation_config.json` applies: greedy, but with
its `repetition_penalty` (1.1 for Qwen2.5-0.5B/1.5B-Instruct) on the tokens generated so far. Only
`inputs_embeds` are passed, so HF's `input_ids` start empty and the prompt is never penalised.

The converter carries the folder's values into the manifest ("understanding"); the reference and
the engine apply the package's penalty by default.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

# generation_config.json entries that would change what greedy decoding picks. Sampling settings
# (temperature, top_p, top_k) do not: do_sample=False ignores them. We implement the repetition
# penalty; a folder asking for any of the others is refused rather than silently decoded otherwise.
UNSUPPORTED = {"num_beams": 1, "no_repeat_ngram_size": 0, "min_length": 0, "min_new_tokens": None,
               "bad_words_ids": None, "suppress_tokens": None, "begin_suppress_tokens": None,
               "sequence_bias": None, "forced_bos_token_id": None, "forced_eos_token_id": None,
               "exponential_decay_length_penalty": None, "penalty_alpha": None, "dola_layers": None}

# The official image2text.py's --image_size default: understanding runs at 512² for both released
# sizes, whatever their generation grid (the MAR position embeddings are resized to 32×32).
OFFICIAL_ASK_SIZE = 512
RELEASED = ("0.5b", "1.5b")


class GenerationConfigError(ValueError):
    pass


def read_generation_config(folder: Path) -> dict | None:
    """The folder's `generation_config.json`, or None when it has none."""
    path = Path(folder) / "generation_config.json"
    if not path.is_file():
        return None
    try:
        d = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise GenerationConfigError(f"{path}: not valid JSON: {e}") from None
    if not isinstance(d, dict):
        raise GenerationConfigError(f"{path}: expected a JSON object")
    for key, neutral in UNSUPPORTED.items():
        if key in d and d[key] != neutral:
            raise GenerationConfigError(f"{path}: {key} = {d[key]!r} changes greedy decoding and is not "
                                        f"implemented (only repetition_penalty is)")
    p = d.get("repetition_penalty", 1.0)
    if not (isinstance(p, (int, float)) and not isinstance(p, bool) and p > 0):
        raise GenerationConfigError(f"{path}: repetition_penalty must be a positive number, got {p!r}")
    return d


def understanding_settings(name: str, image_size: int, generation_config: dict | None,
                           size: int | None = None) -> dict:
    """The manifest's "understanding": the ask size (512 for the released models, else the
    generation size, unless `size` says), the repetition penalty (1.0 = plain greedy without a
    generation config) and the folder's generation config as it was."""
    p = float((generation_config or {}).get("repetition_penalty", 1.0))
    return {"size": size or (OFFICIAL_ASK_SIZE if name in RELEASED else image_size),
            "repetition_penalty": p, "generation_config": generation_config}


def penalize(logits: torch.Tensor, generated: list[int], penalty: float) -> torch.Tensor:
    """HF's RepetitionPenaltyLogitsProcessor on one row of logits (V,): every id already generated
    (each once) has its logit l become l / p if l > 0, else l · p. Returns a new tensor."""
    if penalty == 1.0 or not generated:
        return logits
    ids = torch.tensor(sorted(set(generated)), dtype=torch.long)
    out = logits.clone()
    score = out[ids]
    out[ids] = torch.where(score < 0, score * penalty, score / penalty)
    return out
