"""The synthetic series of the pretraining corpus."""

import numpy as np
import pytest

from skseqae._pretrained import RECIPE, pretraining_sequences
from skseqae._synthetic import FAMILIES, _stable_polynomial, synthetic_series
from skseqae.datasets import list_datasets, list_series


def test_a_seed_gives_the_same_series_and_another_seed_others():
    a = synthetic_series(12, seed=0)
    b = synthetic_series(12, seed=0)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    c = synthetic_series(12, seed=1)
    assert not any(len(x) == len(y) and np.allclose(x, y) for x, y in zip(a, c))
    # A longer run starts with the shorter one's series.
    longer = synthetic_series(30, seed=0)
    assert all(np.array_equal(x, y) for x, y in zip(a, longer))


@pytest.mark.parametrize("min_length, max_length", [(8, 8), (20, 60)])
def test_lengths_are_drawn_from_the_range(min_length, max_length):
    series = synthetic_series(60, seed=0, min_length=min_length, max_length=max_length)
    lengths = np.array([len(x) for x in series])
    assert lengths.min() >= min_length and lengths.max() <= max_length
    if max_length > min_length:
        assert len(set(lengths)) > 10
    for x in series:
        assert np.isfinite(x).all() and x.std() > 1e-6


def test_ar_polynomials_are_stable():
    rng = np.random.default_rng(0)
    for order in range(4):
        for _ in range(50):
            poly = _stable_polynomial(rng, order)
            assert len(poly) == order + 1 and poly[0] == 1
            assert (np.abs(np.roots(poly)) < 1).all() if order else True


def test_families_differ_as_documented():
    series = synthetic_series(300, seed=0, min_length=128, max_length=128)
    by_family = {f: series[i :: len(FAMILIES)] for i, f in enumerate(FAMILIES)}

    def roughness(x):  # mean squared step relative to the variance
        return np.mean(np.diff(x) ** 2) / x.var()

    rough = {f: np.median([roughness(x) for x in xs]) for f, xs in by_family.items()}
    # Short-memory ARMA noise is the roughest, Gaussian-process draws with
    # their smooth kernels the smoothest on the median.
    assert rough["arma"] > rough["piecewise"], rough
    assert rough["arma"] > rough["kernel_gp"], rough
    # Piecewise shapes jump: their largest step is many typical steps.
    steps = [np.abs(np.diff(x)) for x in by_family["piecewise"]]
    assert np.median([d.max() / np.median(d) for d in steps]) > 5
    # ARMA processes are stationary (stable roots): no series explodes.
    for x in by_family["arma"]:
        assert np.abs(x - x.mean()).max() < 12 * x.std()


def test_the_corpus_ends_with_the_synthetic_series_whatever_is_left_out():
    recipe = {**RECIPE, "synthetic": 9}
    full = pretraining_sequences(**recipe)
    assert len(full) == len(pretraining_sequences(**{**recipe, "synthetic": 0})) + 9
    only = pretraining_sequences(**recipe, exclude=(*list_datasets(), *list_series()))
    assert len(only) == 9
    assert all(np.array_equal(a, b) for a, b in zip(only, full[-9:], strict=True))
    for s in only:
        assert RECIPE["min_length"] <= len(s) <= RECIPE["max_length"]
        np.testing.assert_allclose([s.mean(), s.std()], [0, 1], atol=1e-4)
