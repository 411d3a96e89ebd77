"""Small byte-level BPE tokenizers with Qwen's chat special tokens, for tiny models.

Made with the `tokenizers` library (no hand-written BPE); the result is an ordinary tokenizer.json
that the engine's Hugging Face JS tokenizer reads like Qwen's.
"""
from __future__ import annotations

import json
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Qwen2's pre-tokenizer split pattern
QWEN_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
              r"|\s*[\r\n]+|\s+(?!\S)|\s+")

DEFAULT_CORPUS = [
    "Generate an image: a red circle above a blue square.",
    "Generate an image.",
    "What is in the image? How many shapes are there? Describe the image.",
    "There are two green triangles to the left of a yellow star.",
    "Is there a purple square? Yes. No. one two three four",
]


def build_tokenizer(vocab_size: int, corpus: list[str] | None = None) -> Tokenizer:
    from tokenizers import Regex
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator((corpus or DEFAULT_CORPUS) * 4, trainer)
    return tok


def save_tokenizer(tok: Tokenizer, out: Path, model_max_length: int = 2048) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tok.save(str(out / "tokenizer.json"))
    cfg = {
        "tokenizer_class": "Qwen2Tokenizer",
        "bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
        "model_max_length": model_max_length, "add_prefix_space": False,
        "chat_template": ("{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
                          "{{ message['content'] }}<|im_end|>\n{% endfor %}"
                          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"),
    }
    (out / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2))
