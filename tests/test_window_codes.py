"""Long sequences' window codes: detail within a window reaches the features."""

import pickle

import numpy as np
import pytest

from skseqae import CompositeLSTMAutoencoder, LSTMAutoencoderTransformer
from skseqae._window_codes import pool_codes

TINY = dict(units=4, epochs=2, batch_size=8, random_state=0, pretrained=False)


def _detail_pair(n=12, length=64, window=8, seed=0):
    """Training sequences, and two that differ only inside one window.

    Values are multiples of 1/4 and the detail alternates +-0.5, so that a
    window's mean is the same, exactly, with and without the detail.
    """
    rng = np.random.default_rng(seed)
    base = np.repeat(rng.integers(-8, 8, (n, length // window)), window, axis=1)
    X = (base / 4.0).astype(np.float32)
    plain = X[:1].copy()
    detailed = plain.copy()
    detailed[0, 3 * window : 4 * window] += np.tile([0.5, -0.5], window // 2)
    return X, np.concatenate([plain, detailed])


def test_detail_inside_one_window_reaches_the_features_only_with_windows():
    X, pair = _detail_pair()
    params = dict(TINY, max_steps=8, scale=False)  # 64 steps: windows of 8
    averaged = LSTMAutoencoderTransformer(**params, window_pooling=None).fit(X)
    windowed = LSTMAutoencoderTransformer(**params, window_pooling="mean_max").fit(X)
    Z_averaged, Z_windowed = averaged.transform(pair), windowed.transform(pair)
    # Averaged over windows of 8 steps, the two sequences are the same.
    np.testing.assert_array_equal(Z_averaged[0], Z_averaged[1])
    size = averaged._spec.code_size
    assert Z_windowed.shape == (2, 3 * size)
    np.testing.assert_array_equal(Z_windowed[:, :size], Z_averaged)
    assert np.abs(Z_windowed[0, size:] - Z_windowed[1, size:]).max() > 1e-3


@pytest.mark.parametrize("length, blocks", [(16, 1), (17, 3), (24, 3)])
def test_auto_adds_window_codes_from_twice_max_steps(length, blocks):
    # max_steps=8: 16 steps are averaged by 2 (no windows: the averaged code
    # alone, as window_pooling=None gives it); 17 and more by 3 or more.
    X = np.random.default_rng(0).normal(size=(10, length)).astype(np.float32)
    params = dict(TINY, max_steps=8)
    auto = LSTMAutoencoderTransformer(**params).fit(X)
    assert auto.window_pooling == "auto"
    Z = auto.transform(X)
    assert Z.shape == (10, blocks * auto._spec.code_size)
    other = "mean_max" if blocks == 3 else None
    same = LSTMAutoencoderTransformer(**params, window_pooling=other).fit(X)
    np.testing.assert_array_equal(Z, same.transform(X))


@pytest.mark.parametrize("pooling", ["mean", "mean_max_std"])
def test_short_fits_give_the_features_they_gave_without_windows(X3d, pooling):
    # 12 steps, within max_steps: nothing is pooled, so no windows either.
    plain = LSTMAutoencoderTransformer(**TINY, window_pooling=None).fit(X3d)
    other = LSTMAutoencoderTransformer(**TINY, window_pooling=pooling).fit(X3d)
    assert other._spec == plain._spec
    np.testing.assert_array_equal(other.transform(X3d), plain.transform(X3d))
    assert len(other.get_feature_names_out()) == plain._spec.code_size


def test_long_fit_features_add_window_statistics_after_the_code(ragged):
    params = dict(TINY, max_steps=4)  # up to 14 steps: pooled by 4
    plain = LSTMAutoencoderTransformer(**params, window_pooling=None).fit(ragged)
    windowed = LSTMAutoencoderTransformer(**params, window_pooling="mean_std")
    Z = windowed.fit(ragged).transform(ragged)
    size = plain._spec.code_size
    assert Z.shape == (len(ragged), 3 * size)
    assert len(windowed.get_feature_names_out()) == 3 * size
    np.testing.assert_array_equal(Z[:, :size], plain.transform(ragged))
    # A sequence of at most 4 steps is one window: no spread over windows.
    one = [s for s in ragged if len(s) <= 4][0]
    np.testing.assert_array_equal(windowed.transform([one])[0, 2 * size :], 0.0)
    # The decoder reads the code alone.
    np.testing.assert_array_equal(
        windowed.inverse_transform(Z), plain.inverse_transform(Z[:, :size])
    )


def test_window_codes_are_the_encoders_codes_of_unpooled_windows():
    X = np.sin(np.linspace(0, 20, 48))[None, :, None] * np.arange(1, 7)[:, None, None]
    params = dict(TINY, scale=False)  # no training means to carry over
    ae = LSTMAutoencoderTransformer(**params, max_steps=16, window_pooling="mean_max")
    Z = ae.fit(X).transform(X)
    size = ae._spec.code_size
    # The same weights reading each third of a sequence at full resolution.
    reader = LSTMAutoencoderTransformer(**params, max_steps=None).fit(X[:, :16])
    reader.model_.set_weights(ae.model_.get_weights())
    codes = np.stack([reader.transform(X[:, k * 16 : (k + 1) * 16]) for k in range(3)])
    np.testing.assert_allclose(Z[:, size : 2 * size], codes.mean(0), atol=1e-5)
    np.testing.assert_allclose(Z[:, 2 * size :], codes.max(0), atol=1e-6)


def test_pool_codes_per_sequence_statistics():
    rng = np.random.default_rng(0)
    counts = np.array([1, 3, 2])
    codes = rng.standard_normal((6, 5))
    out = pool_codes(codes, counts, "mean_max_std")
    groups = np.split(codes, np.cumsum(counts)[:-1])
    expected = [np.r_[g.mean(0), g.max(0), g.std(0)] for g in groups]
    np.testing.assert_allclose(out, expected, atol=1e-12)


def test_windowed_fit_survives_pickling(ragged):
    ae = LSTMAutoencoderTransformer(**TINY, max_steps=4, window_pooling="mean_max")
    Z = ae.fit(ragged).transform(ragged)
    loaded = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(loaded.transform(ragged), Z)


def test_composite_reads_windows_as_well(X3d):
    model = CompositeLSTMAutoencoder(
        n_future=2, max_steps=4, window_pooling="mean", **TINY
    ).fit(X3d)
    size = model._spec.code_size
    assert model.transform(X3d).shape == (len(X3d), 2 * size)
