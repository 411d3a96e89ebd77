"""The training data: rendered shapes-world samples, their VAE latents and the text batches.

Everything is drawn from `shapes.splits.training_sample` (held-out compositions never appear), so a
seed reproduces the data exactly. Images are rendered once per resolution and kept as uint8; the
latents are computed once per stage with the frozen VAE (the VAE never trains after its own stage).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from harmon.model import GENERATE_INPUT, IMAGE_PLACEHOLDER, PROMPT_TEMPLATE, UNCONDITIONAL_INPUT
from harmon.text import TextCodec
from shapes.splits import training_sample
from shapes.world import render

from .probe import token_labels


def render_batch(scenes: list, size: int) -> torch.Tensor:
    """Scenes rendered at `size` as the VAE takes them: (n, 3, size, size) in [-1, 1]."""
    arr = np.stack([np.asarray(render(s, size), dtype=np.uint8) for s in scenes])
    return torch.from_numpy(arr).permute(0, 3, 1, 2).float() / 127.5 - 1.0


@dataclass
class World:
    captions: list[str]
    qa: list[list[dict]]            # per sample: its questions (kind, question, answer)
    scenes: list                    # shapes.world.Scene, rendered on demand at any size

    @classmethod
    def build(cls, n: int, seed: int) -> "World":
        samples = [training_sample(seed, i, size=None) for i in range(n)]
        return cls([s.caption for s in samples], [s.qa for s in samples], [s.scene for s in samples])

    def __len__(self) -> int:
        return len(self.captions)

    def without_fixed_answers(self) -> "World":
        """The same world with every question dropped whose answer is the same wherever the world asks
        it. Such a question teaches its answer from the wording alone, and no training image can
        contradict it: in the shipped split they are the 16 position questions about a held-out
        relation's two shapes, each asked ~80 times with one answer, while the held-out set asks
        them only where the other answer holds."""
        answers: dict[str, set[str]] = {}
        for qs in self.qa:
            for q in qs:
                answers.setdefault(q["question"], set()).add(q["answer"])
        qa = [[q for q in qs if len(answers[q["question"]]) > 1] for qs in self.qa]
        if not all(qa):
            raise ValueError("a sample has no question left whose answer varies: the world is too small")
        return World(self.captions, qa, self.scenes)

    def images(self, size: int) -> torch.Tensor:
        """(n, 3, size, size) in [-1, 1]."""
        return render_batch(self.scenes, size)

    def token_labels(self) -> torch.Tensor:
        """(n, GRID², 2): each token's shape and colour (probe.token_labels)."""
        return torch.stack([token_labels(s) for s in self.scenes])

    def corpus(self) -> list[str]:
        """Every text the models will see, for the tokenizer."""
        out = [PROMPT_TEMPLATE.format(input=GENERATE_INPUT.format(prompt=c)) for c in self.captions]
        out.append(PROMPT_TEMPLATE.format(input=UNCONDITIONAL_INPUT))
        for qs in self.qa:
            out += [PROMPT_TEMPLATE.format(input=IMAGE_PLACEHOLDER + "\n" + q["question"]) + q["answer"] + "<|im_end|>"
                    for q in qs]
        return out


@torch.no_grad()
def encode_latents(vae, images: torch.Tensor, batch: int = 256) -> torch.Tensor:
    """(n,3,S,S) → (n, S/16, S/16, 16) scaled posterior means."""
    vae.eval()
    return torch.cat([vae.encode_tokens(images[i: i + batch]) for i in range(0, len(images), batch)])


def pad_rows(rows: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    T = max(len(r) for r in rows)
    ids = torch.full((len(rows), T), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), T), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    return ids, mask


class Batcher:
    """Turns sample indices into the loss functions' tensors."""

    def __init__(self, world: World, codec: TextCodec, rng: np.random.Generator):
        self.world, self.codec, self.rng = world, codec, rng
        self.im_end = codec.special_id("<|im_end|>")
        self.before = torch.tensor([codec.encode(PROMPT_TEMPLATE.split("{input}")[0])])
        self._prompt_cache: dict[str, list[int]] = {}
        self._by_kind: list[np.ndarray] | None = None   # per question kind: (sample, question) pairs

    def _enc(self, text: str) -> list[int]:
        ids = self._prompt_cache.get(text)
        if ids is None:
            ids = self._prompt_cache[text] = self.codec.encode(text)
        return ids

    def generation(self, idx: np.ndarray, drop: float) -> tuple[torch.Tensor, torch.Tensor]:
        """Prompts of the samples; a share `drop` replaced by the unconditional prompt (for CFG)."""
        rows = []
        for i in idx:
            text = UNCONDITIONAL_INPUT if self.rng.random() < drop else GENERATE_INPUT.format(prompt=self.world.captions[i])
            rows.append(self._enc(PROMPT_TEMPLATE.format(input=text)))
        return pad_rows(rows, self.codec.pad_id)

    def questions(self, n: int, balance: bool = False) -> tuple[np.ndarray, list[dict]]:
        """n (sample index, question) draws for the understanding loss. Plain: n random samples, one
        random question of each. `balance`: the question's kind first, uniformly over the kinds, then
        a random question of that kind from any sample. A scene has one question of each kind it can
        answer (two of existence), and only a third of them a clear pair for a position question, so
        plain draws ask position 4% of the time and existence 35%."""
        if not balance:
            idx = self.rng.integers(0, len(self.world), n)
            return idx, [self.world.qa[i][self.rng.integers(len(self.world.qa[i]))] for i in idx]
        if self._by_kind is None:
            by: dict[str, list[tuple[int, int]]] = {}
            for i, qs in enumerate(self.world.qa):
                for j, q in enumerate(qs):
                    by.setdefault(q["kind"], []).append((i, j))
            self._by_kind = [np.array(by[k]) for k in sorted(by)]
        picks = [self._by_kind[k][self.rng.integers(len(self._by_kind[k]))] for k in self.rng.integers(0, len(self._by_kind), n)]
        idx = np.array([i for i, _ in picks])
        return idx, [self.world.qa[i][j] for i, j in picks]

    def understanding(self, idx: np.ndarray, questions: list[dict] | None = None):
        """One question per sample (`questions`, or a random one of each sample's): (before, after,
        after_mask, labels)."""
        rows, labels = [], []
        for k, i in enumerate(idx):
            qs = self.world.qa[i]
            q = questions[k] if questions is not None else qs[self.rng.integers(len(qs))]
            tail = PROMPT_TEMPLATE.split("{input}")[1]
            prefix = self._enc("\n" + q["question"] + tail)
            answer = self._enc(q["answer"]) + [self.im_end]
            rows.append(prefix + answer)
            labels.append([-100] * len(prefix) + answer)
        after, mask = pad_rows(rows, self.codec.pad_id)
        lab = torch.full_like(after, -100)
        for r, l in enumerate(labels):
            lab[r, : len(l)] = torch.tensor(l)
        return self.before, after, mask, lab

    def text(self, idx: np.ndarray):
        """Text-only rows for the LLM's language pretraining: captions and question–answer turns."""
        rows = []
        for i in idx:
            if self.rng.random() < 0.5:
                rows.append(self._enc(self.world.captions[i]) + [self.im_end])
            else:
                qs = self.world.qa[i]
                q = qs[self.rng.integers(len(qs))]
                rows.append(self._enc(PROMPT_TEMPLATE.format(input=q["question"]) + q["answer"]) + [self.im_end])
        ids, mask = pad_rows(rows, self.codec.pad_id)
        labels = ids.masked_fill(mask == 0, -100)
        return ids, mask, labels
