"""Shared fixtures: small data sets and tiny fitted models."""

import numpy as np
import pytest


def sine_batch(n, length, n_features=1, seed=0):
    """Noisy sine waves of random phase and frequency, (n, length, n_features)."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)[None, :, None]
    freq = rng.uniform(0.1, 0.4, (n, 1, n_features))
    phase = rng.uniform(0, 2 * np.pi, (n, 1, n_features))
    noise = 0.05 * rng.standard_normal((n, length, n_features))
    return (np.sin(freq * t + phase) + noise).astype(np.float32)


def ragged_batch(n, n_features=2, low=4, high=15, seed=0):
    """A list of sine sequences of different lengths, each (T_i, n_features)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(low, high, n)
    full = sine_batch(n, high, n_features, seed)
    return [full[i, : lengths[i]] for i in range(n)]


@pytest.fixture(scope="session")
def X3d():
    return sine_batch(40, 12, n_features=2)


@pytest.fixture(scope="session")
def X2d():
    return sine_batch(40, 10)[:, :, 0].astype(np.float64)


@pytest.fixture(scope="session")
def ragged():
    return ragged_batch(30)
