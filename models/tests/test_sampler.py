"""Schedule numbers against values computed independently here (vectorised numpy, textbook DDPM)."""
import math

import numpy as np
import pytest
import torch

from harmon.diffusion_head import timestep_embedding
from harmon.sampler import cosine_betas, make_schedule, p_step, respaced_timesteps


def independent_alphas_bar():
    s = np.arange(1001, dtype=np.float64) / 1000
    f = np.cos((s + 0.008) / 1.008 * np.pi / 2) ** 2
    betas = np.minimum(1 - f[1:] / f[:-1], 0.999)
    return betas, np.cumprod(1 - betas)


def test_cosine_betas():
    betas, _ = independent_alphas_bar()
    np.testing.assert_allclose(cosine_betas(), betas, rtol=1e-12, atol=0)
    assert cosine_betas()[-1] == 0.999  # the clip is active at the end


def test_respaced_timesteps():
    ts = respaced_timesteps(100)
    assert ts[:8] == [0, 10, 20, 30, 40, 50, 61, 71]     # 50.45 → 50, 60.55 → 61
    assert ts[-1] == 999 and len(ts) == 100 and len(set(ts)) == 100
    assert respaced_timesteps(1000) == list(range(1000))
    assert respaced_timesteps(2) == [0, 999]
    assert respaced_timesteps(21)[10] == 500  # 499.5 exactly, to the even neighbour
    # Python's round: halves go to the even neighbour (j·999/(S−1) = 4.5 for S=223, j=1)
    assert respaced_timesteps(223)[1] == 4
    for bad in (0, 1, 1001):
        with pytest.raises(ValueError):
            respaced_timesteps(bad)


@pytest.mark.parametrize("S", [2, 7, 100, 1000])
def test_respaced_schedule(S):
    betas, ab = independent_alphas_bar()
    ts = [int(round(j * 999 / (S - 1))) for j in range(S)]  # noqa: RUF046
    ab_r = ab[ts]
    betas_r = 1 - ab_r / np.concatenate([[1.0], ab_r[:-1]])
    s = make_schedule(S)
    np.testing.assert_array_equal(s.timesteps, ts)
    np.testing.assert_allclose(s.betas, betas_r, rtol=1e-10)
    if S == 1000:
        np.testing.assert_allclose(s.betas, betas, rtol=1e-10)
    ab_prev = np.concatenate([[1.0], ab_r[:-1]])
    post = (1 - ab_prev) / (1 - ab_r) * betas_r
    np.testing.assert_allclose(s.min_log[1:], np.log(post[1:]), rtol=1e-10)
    assert s.min_log[0] == s.min_log[1]  # t=0 entry replaced by the t=1 entry
    np.testing.assert_allclose(s.max_log, np.log(betas_r), rtol=1e-10)


def test_reverse_step_matches_textbook_ddpm():
    S = 10
    s = make_schedule(S)
    _, ab = independent_alphas_bar()
    ab_r = ab[s.timesteps]
    g = torch.Generator().manual_seed(0)
    x, eps, noise = (torch.randn(5, 16, generator=g, dtype=torch.float64) for _ in range(3))
    prev = lambda i: ab_r[i - 1] if i else 1.0
    beta = lambda i: 1 - ab_r[i] / prev(i)
    post_var = lambda i: (1 - prev(i)) / (1 - ab_r[i]) * beta(i)
    for j, v_val in [(7, 1.0), (3, -1.0), (5, 0.3), (1, -0.5)]:
        b = beta(j)
        x0 = (x - math.sqrt(1 - ab_r[j]) * eps) / math.sqrt(ab_r[j])
        mean = (math.sqrt(prev(j)) * b / (1 - ab_r[j])) * x0 + (math.sqrt(1 - b) * (1 - prev(j)) / (1 - ab_r[j])) * x
        frac = (v_val + 1) / 2
        var = math.exp(frac * math.log(b) + (1 - frac) * math.log(post_var(j)))
        want = mean + math.sqrt(var) * noise * 0.5
        got = p_step(s, j, x.float(), eps.float(), torch.full((5, 16), v_val), noise.float(), 0.5)
        torch.testing.assert_close(got.double(), want, rtol=1e-5, atol=1e-5)
    # the last step adds no noise
    got = p_step(s, 0, x.float(), eps.float(), torch.zeros(5, 16), noise.float(), 1.0)
    x0 = (x - math.sqrt(1 - ab_r[0]) * eps) / math.sqrt(ab_r[0])
    torch.testing.assert_close(got.double(), x0, rtol=1e-5, atol=1e-5)  # at j=0 the mean is x0


def test_timestep_embedding():
    t = torch.tensor([0, 7, 999])
    e = timestep_embedding(t).numpy()
    f = np.exp(-np.log(10000.0) * np.arange(128) / 128)
    want = np.concatenate([np.cos(t.numpy()[:, None] * f), np.sin(t.numpy()[:, None] * f)], axis=1)
    np.testing.assert_allclose(e, want, atol=2e-4)  # float32 arguments up to ~1000 rad
    assert e.shape == (3, 256)


def test_fast_sampling_steps():
    """Head-step annealing: S_k = 5 + floor((K−1−k)/(K−1)·45), 50 → 5, exact at the ends."""
    from harmon.sampler import fast_sampling_steps
    assert fast_sampling_steps(4) == [50, 35, 20, 5]
    assert fast_sampling_steps(1) == [50]
    assert fast_sampling_steps(2) == [50, 5]
    s64 = fast_sampling_steps(64)
    assert s64[0] == 50 and s64[-1] == 5 and all(a >= b for a, b in zip(s64, s64[1:]))
    assert s64 == [5 + math.floor((63 - k) / 63 * 45 + 1e-9) for k in range(64)]
    with pytest.raises(ValueError):
        fast_sampling_steps(0)
