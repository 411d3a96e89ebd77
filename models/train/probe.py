"""The token probe: an auxiliary loss that makes the text decide what each token draws.

Harmon's generation path has a residual around the LLM (`Harmon.from_llm`: x_enc + proj_out(h)), and
the diffusion loss is mostly noise-matching, so a small model trained on it alone learns the image
prior long before the prompt: the last default drew clean objects, but barely the named ones. In our
world every 16-px token shows exactly one object or background (shapes.world.GRID), so each masked
token has a known label. Two linear read-outs of the head's conditioning z — the token's shape (5 or
none) and its colour (6 or none) — trained with cross-entropy next to the diffusion loss give the
MAR decoder, the LLM and the projections a direct, low-variance signal to carry the prompt into z.

The labels are factorised (shape, colour) rather than 31 joint classes: a held-out colour–shape
pair (no purple star is ever drawn) is then a new combination of two seen labels, not a class the
probe was taught never to predict. The probe is training-only: it is not part of the model, the
checkpoint or the package.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from shapes.world import COLORS, GRID, SHAPES, Scene, cell_of

NONE = 0  # label of a background token (its shape and its colour)


def token_labels(scene: Scene) -> torch.Tensor:
    """(GRID², 2) long: per token (row-major, as the MAR grid) its shape and colour label, 1-based
    indices into SHAPES / COLORS, NONE for background."""
    out = torch.zeros(GRID * GRID, 2, dtype=torch.long)
    colors = list(COLORS)
    for o in scene.objects:
        out[cell_of(o), 0] = SHAPES.index(o.shape) + 1
        out[cell_of(o), 1] = colors.index(o.color) + 1
    return out


class TokenProbe(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.shape = nn.Linear(width, len(SHAPES) + 1)
        self.color = nn.Linear(width, len(COLORS) + 1)

    def loss(self, z: torch.Tensor, labels: torch.Tensor, object_weight: float = 1.0) -> torch.Tensor:
        """z (M, width) conditioning of M tokens, labels (M, 2) → CE of shape + colour, averaged with
        object tokens weighted `object_weight` against background 1. Objects are about a tenth of
        the tokens and background is learnt first; weighting them asks z for what the prompt names.
        The probe's own calibration does not matter: the head learns p(token | z) from true pairs."""
        ce = (F.cross_entropy(self.shape(z), labels[:, 0], reduction="none")
              + F.cross_entropy(self.color(z), labels[:, 1], reduction="none"))
        w = torch.where(labels[:, 0] != NONE, object_weight, 1.0)
        return (ce * w).sum() / w.sum()

    @torch.no_grad()
    def accuracy(self, z: torch.Tensor, labels: torch.Tensor) -> float:
        """Share of object tokens whose shape and colour are both read right (for the log; background
        tokens are most of them and easy)."""
        obj = labels[:, 0] != NONE
        ok = (self.shape(z[obj]).argmax(1) == labels[obj, 0]) & (self.color(z[obj]).argmax(1) == labels[obj, 1])
        return float(ok.float().mean()) if obj.any() else float("nan")
