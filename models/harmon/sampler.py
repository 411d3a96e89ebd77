"""DDPM sampler of the diffusion head: cosine schedule, respacing, learned-range variance, CFG.

Schedules are computed in float64 (as the official numpy code does) and cast to float32 per use.
The sampling loop reads its noise from an explicit tensor so runs can be reproduced step by step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

NUM_TRAIN_STEPS = 1000
# The fast preset's head-step annealing (DiSA, arXiv 2505.20297, its Harmon config `disa_50_5`):
# later MAR steps are more constrained and need fewer diffusion steps.
FAST_FIRST, FAST_LAST = 50, 5
PRESETS = ("default", "fast")


def cosine_betas(n: int = NUM_TRAIN_STEPS, max_beta: float = 0.999) -> np.ndarray:
    a = lambda s: math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2
    return np.array([min(1 - a((i + 1) / n) / a(i / n), max_beta) for i in range(n)], dtype=np.float64)


def respaced_timesteps(steps: int, n: int = NUM_TRAIN_STEPS) -> list[int]:
    """The kept original indices: round(j·(n−1)/(steps−1)), Python rounding (halves to even)."""
    if not 2 <= steps <= n:
        raise ValueError(f"sampling steps must be between 2 and {n}, got {steps}")
    return [round(j * (n - 1) / (steps - 1)) for j in range(steps)]


def fast_sampling_steps(mar_steps: int) -> list[int]:
    """S_k = 5 + floor((K−1−k)/(K−1)·45) at MAR step k of K (50 → 5, linear; 50 for K = 1), in
    integer arithmetic so that no rounding of (K−1−k)/(K−1) can move a floor."""
    K = mar_steps
    if K < 1:
        raise ValueError(f"steps must be ≥ 1, got {K}")
    if K == 1:
        return [FAST_FIRST]
    span = FAST_FIRST - FAST_LAST
    return [FAST_LAST + (K - 1 - k) * span // (K - 1) for k in range(K)]


@dataclass
class Schedule:
    """Per respaced step j (ascending time) the float64 coefficients of one reverse step."""
    timesteps: np.ndarray          # original index the network sees
    betas: np.ndarray
    sqrt_recip_alphas_cumprod: np.ndarray
    sqrt_recipm1_alphas_cumprod: np.ndarray
    posterior_mean_coef1: np.ndarray
    posterior_mean_coef2: np.ndarray
    min_log: np.ndarray            # clipped log posterior variance
    max_log: np.ndarray            # log beta

    @property
    def steps(self) -> int:
        return len(self.timesteps)

    def tables(self) -> dict[str, np.ndarray]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def make_schedule(steps: int) -> Schedule:
    base_ac = np.cumprod(1.0 - cosine_betas())
    ts = respaced_timesteps(steps)
    last, betas = 1.0, []
    for t in ts:
        betas.append(1.0 - base_ac[t] / last)
        last = base_ac[t]
    betas = np.array(betas, dtype=np.float64)
    ac = np.cumprod(1.0 - betas)
    ac_prev = np.append(1.0, ac[:-1])
    post_var = betas * (1.0 - ac_prev) / (1.0 - ac)
    return Schedule(
        timesteps=np.array(ts, dtype=np.int64), betas=betas,
        sqrt_recip_alphas_cumprod=np.sqrt(1.0 / ac),
        sqrt_recipm1_alphas_cumprod=np.sqrt(1.0 / ac - 1),
        posterior_mean_coef1=betas * np.sqrt(ac_prev) / (1.0 - ac),
        posterior_mean_coef2=(1.0 - ac_prev) * np.sqrt(1.0 - betas) / (1.0 - ac),
        min_log=np.log(np.append(post_var[1], post_var[1:])),
        max_log=np.log(betas))


def _f32(a: np.ndarray, j: int) -> torch.Tensor:
    return torch.tensor(a[j], dtype=torch.float32)


def p_step(sched: Schedule, j: int, x: torch.Tensor, eps: torch.Tensor, v: torch.Tensor,
           noise: torch.Tensor, temperature: float) -> torch.Tensor:
    """One reverse step at respaced index j: ε-prediction, learned-range variance, no x0 clipping."""
    x0 = _f32(sched.sqrt_recip_alphas_cumprod, j) * x - _f32(sched.sqrt_recipm1_alphas_cumprod, j) * eps
    mean = _f32(sched.posterior_mean_coef1, j) * x0 + _f32(sched.posterior_mean_coef2, j) * x
    frac = (v + 1) / 2
    log_var = frac * _f32(sched.max_log, j) + (1 - frac) * _f32(sched.min_log, j)
    if j == 0:
        return mean
    return mean + torch.exp(0.5 * log_var) * noise * temperature


@torch.no_grad()
def sample_tokens(net, z: torch.Tensor, noise: torch.Tensor, sched: Schedule, cfg: float,
                  temperature: float, trace: list | None = None) -> torch.Tensor:
    """Denoise M token latents conditioned on z (M, D').

    noise (Mc, S+1, 16): slot 0 is x_T, slot k the noise of the k-th reverse step. With cfg != 1 the
    rows are [Mc conditional; Mc unconditional] and row i and Mc+i share the noise.
    `trace`, if given, receives (j, eps, v) of every step (for golden vectors).
    """
    c_in = net.in_channels
    guided = cfg != 1.0
    rep = (lambda a: torch.cat([a, a], dim=0)) if guided else (lambda a: a)
    x = rep(noise[:, 0])
    S = sched.steps
    for j in reversed(range(S)):
        t = torch.full((x.shape[0],), int(sched.timesteps[j]), dtype=torch.long)
        out = net.forward_with_cfg(x, t, z, cfg) if guided else net(x, t, z)
        eps, v = out[:, :c_in], out[:, c_in:]
        if trace is not None:
            trace.append((j, eps.clone(), v.clone()))
        x = p_step(sched, j, x, eps, v, rep(noise[:, S - j]), temperature)
    return x
