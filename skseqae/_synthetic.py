"""Synthetic univariate series for the pretraining corpus.

Three families, in equal shares, each series of a random length:

- **Gaussian-process draws** from a random composition of kernels, as in
  Chronos' KernelSynth (Ansari et al., 2024): one to four kernels drawn from
  a bank (squared exponential, periodic, rational quadratic, linear,
  constant and white noise, over a time axis scaled to [0, 1]) joined by
  random sums and products; smooth trends, seasonality and their mixtures.
- **ARMA processes** of orders up to (3, 2) with random stable roots, some
  with a linear trend added: short-memory noise of many spectra.
- **Piecewise shapes**: one to six segments, each a level, a ramp, a bump
  or a burst of oscillation, with occasional spikes and level shifts and
  Gaussian noise; the events and shapes that classes of real series differ
  by (the cylinder, bell and funnel of the classic CBF set are among them).

Only NumPy's random generator and linear algebra are used, so a seed gives
the same series on the same machine and NumPy build.
"""

import numpy as np

FAMILIES = ("kernel_gp", "arma", "piecewise")


def synthetic_series(n, *, seed, min_length=32, max_length=256):
    """``n`` synthetic series, a third of each family (:data:`FAMILIES`).

    Parameters
    ----------
    n : int
        How many series.
    seed : int or tuple of int
        Seeds NumPy's generator; the same seed gives the same series.
    min_length, max_length : int
        Each series' length is drawn uniformly from this range.

    Returns
    -------
    list of ndarray of shape (T_i,), float64
        In family order, interleaved (the i-th series is of family
        ``FAMILIES[i % 3]``). Not normalized.
    """
    rng = np.random.default_rng(seed)
    makers = (_kernel_gp, _arma, _piecewise)
    out = []
    for i in range(n):
        length = int(rng.integers(min_length, max_length + 1))
        out.append(makers[i % len(makers)](rng, length))
    return out


def _kernel_gp(rng, length):
    t = np.linspace(0.0, 1.0, length)
    d = t[:, None] - t[None, :]
    K = _kernel(rng, t, d)
    for _ in range(1 + int(rng.integers(3))):
        other = _kernel(rng, t, d)
        K = K + other if rng.random() < 0.5 else K * other
    K = K + 1e-6 * np.mean(np.diag(K)) * np.eye(length)
    # eigh instead of Cholesky: sums and products of kernels can be
    # numerically singular, and negative round-off eigenvalues are clipped.
    values, vectors = np.linalg.eigh(K)
    return vectors @ (np.sqrt(np.clip(values, 0.0, None)) * rng.normal(size=length))


def _kernel(rng, t, d):
    kind = int(rng.integers(6))
    if kind == 0:  # squared exponential: smooth variation
        scale = float(np.exp(rng.uniform(np.log(0.01), np.log(1.0))))
        return np.exp(-0.5 * (d / scale) ** 2)
    if kind == 1:  # periodic: 2 to length / 3 steps per period
        period = float(np.exp(rng.uniform(np.log(2.0), np.log(len(t) / 3)))) / len(t)
        return np.exp(-2.0 * np.sin(np.pi * d / period) ** 2 / rng.uniform(0.5, 2.0))
    if kind == 2:  # rational quadratic: several scales at once
        scale = float(np.exp(rng.uniform(np.log(0.02), np.log(1.0))))
        alpha = float(np.exp(rng.uniform(np.log(0.1), np.log(10.0))))
        return (1.0 + d**2 / (2.0 * alpha * scale**2)) ** -alpha
    if kind == 3:  # linear: trends
        c = rng.uniform(0.0, 1.0)
        return rng.uniform(0.0, 1.0) + np.outer(t - c, t - c)
    if kind == 4:  # constant: a level
        return np.full_like(d, rng.uniform(0.1, 1.0))
    return rng.uniform(0.01, 0.5) * np.eye(len(t))  # white noise


def _stable_polynomial(rng, order):
    """Coefficients ``[1, c_1, ..., c_order]`` with all roots inside the unit circle."""
    roots = []
    while len(roots) < order:
        radius = rng.uniform(0.1, 0.97)
        if order - len(roots) >= 2 and rng.random() < 0.6:
            angle = rng.uniform(0.0, np.pi)
            roots += [radius * np.exp(1j * angle), radius * np.exp(-1j * angle)]
        else:
            roots.append(radius * rng.choice([-1.0, 1.0]))
    return np.real(np.poly(roots)) if roots else np.ones(1)


def _arma(rng, length):
    ar = _stable_polynomial(rng, int(rng.integers(4)))
    ma = np.concatenate([[1.0], rng.uniform(-0.9, 0.9, size=int(rng.integers(3)))])
    burn = 100
    e = rng.normal(size=length + burn)
    x = np.zeros(length + burn)
    for i in range(length + burn):
        past = x[max(0, i - len(ar) + 1) : i][::-1]
        shocks = e[max(0, i - len(ma) + 1) : i + 1][::-1]
        x[i] = ma[: len(shocks)] @ shocks - ar[1 : 1 + len(past)] @ past
    x = x[burn:]
    if rng.random() < 0.3:
        x = x + rng.normal(0.0, 3.0) * np.linspace(-1.0, 1.0, length) * x.std()
    return x


def _piecewise(rng, length):
    n_segments = 1 + int(rng.integers(6))
    cuts = np.sort(rng.choice(np.arange(1, length), n_segments - 1, replace=False))
    x = np.zeros(length)
    level = rng.normal()
    for start, stop in zip(np.r_[0, cuts], np.r_[cuts, length]):
        u = np.linspace(0.0, 1.0, stop - start)
        kind = int(rng.integers(4))
        if kind == 0:  # a level
            segment = np.full(stop - start, level)
        elif kind == 1:  # a ramp from the current level (bell, funnel)
            end = rng.normal(0.0, 1.5)
            segment = level + (end - level) * u
            level = end
        elif kind == 2:  # a bump
            segment = level + rng.normal(0.0, 1.5) * np.sin(np.pi * u) ** 2
        else:  # a burst of oscillation
            cycles = rng.uniform(1.0, max(1.5, (stop - start) / 4))
            segment = level + rng.uniform(0.2, 1.5) * np.sin(
                2 * np.pi * cycles * u + rng.uniform(0, 2 * np.pi)
            )
        x[start:stop] = segment
        if rng.random() < 0.5:  # a level shift at the next cut
            level = rng.normal()
    for _ in range(int(rng.poisson(0.7))):  # spikes
        x[int(rng.integers(length))] += rng.normal(0.0, 3.0)
    return x + rng.uniform(0.0, 0.3) * rng.normal(size=length)
