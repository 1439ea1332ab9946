"""Sequences as users have them: layouts, variable length, padding, bad input."""

from functools import partial

import numpy as np
import pytest
from scipy import sparse

from skseqae import (
    CompositeLSTMAutoencoder,
    LSTMAutoencoderTransformer,
    from_channels_first,
)
from skseqae._sequences import Sequences, as_sequences, split_future

from .conftest import ragged_batch, sine_batch

TINY = dict(units=4, epochs=2, batch_size=8, random_state=0)


@pytest.fixture(scope="module")
def fitted_ragged(ragged):
    return LSTMAutoencoderTransformer(**TINY).fit(ragged)


def nan_padded(seqs, length):
    out = np.full((len(seqs), length, seqs[0].shape[1]), np.nan, np.float32)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
    return out


def test_list_and_nan_padded_inputs_agree(fitted_ragged, ragged):
    padded = nan_padded(ragged, 20)
    np.testing.assert_allclose(
        fitted_ragged.transform(ragged), fitted_ragged.transform(padded), rtol=1e-6
    )


def test_padding_never_influences_features(fitted_ragged, ragged):
    # Each sequence alone, unpadded, vs in a batch padded far beyond its end.
    batch = fitted_ragged.transform(nan_padded(ragged, 200))
    alone = np.vstack([fitted_ragged.transform([s]) for s in ragged])
    np.testing.assert_allclose(batch, alone, rtol=1e-5, atol=1e-6)


def test_padding_never_influences_training(ragged):
    # The same sequences padded to 15 or to 60 steps train the same model.
    a = LSTMAutoencoderTransformer(**TINY).fit(nan_padded(ragged, 15))
    b = LSTMAutoencoderTransformer(**TINY).fit(nan_padded(ragged, 60))
    np.testing.assert_allclose(a.transform(ragged), b.transform(ragged), atol=1e-5)


def test_univariate_list_of_1d_arrays():
    seqs = [np.sin(np.arange(n) / 3.0) for n in (5, 9, 7)]
    ae = LSTMAutoencoderTransformer(**TINY).fit(seqs)
    out = ae.predict(seqs)
    assert [o.shape for o in out] == [(5, 1), (9, 1), (7, 1)]


def test_outputs_come_back_in_the_users_layout(fitted_ragged, ragged):
    out = fitted_ragged.predict(ragged)
    assert isinstance(out, list)
    assert [o.shape for o in out] == [s.shape for s in ragged]
    padded = nan_padded(ragged, 20)
    out = fitted_ragged.predict(padded)
    assert out.shape == padded.shape
    np.testing.assert_array_equal(np.isnan(out), np.isnan(padded))


def test_new_data_may_be_longer_or_shorter(fitted_ragged):
    longer = sine_batch(3, 40, n_features=2)
    shorter = [s[:2] for s in longer]
    assert fitted_ragged.transform(longer).shape == (3, 24)
    assert fitted_ragged.transform(shorter).shape == (3, 24)
    assert fitted_ragged.predict(longer).shape == (3, 40, 2)


def test_lengths_come_from_trailing_padding():
    X = sine_batch(3, 6, n_features=2)
    X[0, 4:] = np.nan
    X[2, 1:] = np.nan
    seqs = as_sequences(X, name="test")
    np.testing.assert_array_equal(seqs.lengths, [4, 6, 1])


def test_composite_splits_each_sequence_at_its_own_end():
    seqs = as_sequences([np.arange(5.0), np.arange(8.0)], name="test")
    context, future = split_future(None, seqs, 2)
    np.testing.assert_array_equal(context.lengths, [3, 6])
    np.testing.assert_array_equal(future.values[:, :, 0], [[3, 4], [6, 7]])
    assert np.isnan(context.values[0, 3:]).all()


def test_composite_on_ragged_input(ragged):
    model = CompositeLSTMAutoencoder(n_future=2, **TINY).fit(ragged)
    forecast = model.predict(ragged)
    assert isinstance(forecast, list) and forecast[0].shape == (2, 2)
    assert [r.shape for r in model.reconstruct(ragged)] == [s.shape for s in ragged]


X_OK = sine_batch(6, 5, n_features=2)


def _with(value, index):
    X = X_OK.copy()
    X[index] = value
    return X


BAD_INPUTS = [
    (_with(np.nan, (1, 2, 0)), ValueError, "NaN inside a sequence"),
    (_with(np.nan, (1, 2)), ValueError, "NaN inside a sequence"),
    (_with(np.inf, (0, 0, 1)), ValueError, "infinity"),
    (np.zeros((0, 5, 2)), ValueError, "0 sample"),
    ([], ValueError, "0 sequence"),
    (_with(np.nan, 3), ValueError, "entirely NaN"),
    ([X_OK[0], X_OK[1][:0]], ValueError, "0 time steps"),
    (np.zeros(5), ValueError, "Reshape your data"),
    (np.zeros((2, 3, 4, 1)), ValueError, "4-D array"),
    (np.array([["a", "b"], ["c", "d"]], dtype=object), ValueError, "could not convert"),
    (np.array([["a", "b"], ["c", "d"]]), ValueError, "could not convert"),
    (sparse.csr_matrix(np.ones((3, 4))), TypeError, "sparse"),
    ([X_OK[0], X_OK[1][:, :1]], ValueError, "disagree on the number of features"),
    (np.ones((3, 4, 0)), ValueError, "0 feature"),
    (np.ones((2, 3), dtype=complex), ValueError, "Complex data not supported"),
]


@pytest.mark.parametrize("X, error, match", BAD_INPUTS)
def test_bad_input_gets_a_clear_error_before_training(X, error, match):
    with pytest.raises(error, match=match):
        LSTMAutoencoderTransformer(**TINY).fit(X)


def test_wrong_feature_count_at_transform(fitted_ragged):
    with pytest.raises(ValueError, match="expected 2 feature.*got 3.*fitted on 2"):
        fitted_ragged.transform(sine_batch(2, 5, n_features=3))


def test_failed_calls_leave_the_fitted_estimator_as_it_was(fitted_ragged, ragged):
    before = fitted_ragged.transform(ragged)
    state = dict(vars(fitted_ragged))
    for X, error, _ in BAD_INPUTS:
        with pytest.raises(error):
            fitted_ragged.transform(X)
        with pytest.raises(error):
            fitted_ragged.fit(X)  # a failed refit keeps the previous model
    assert vars(fitted_ragged) == state
    np.testing.assert_array_equal(fitted_ragged.transform(ragged), before)


def test_failed_parameter_validation_keeps_the_model(ragged):
    ae = LSTMAutoencoderTransformer(**TINY).fit(ragged)
    before = ae.transform(ragged)
    with pytest.raises(ValueError, match="epochs"):
        ae.set_params(epochs=-1).fit(ragged)
    np.testing.assert_array_equal(ae.transform(ragged), before)


def test_divergence_is_reported_with_a_fix():
    rng = np.random.default_rng(0)
    X = 1e4 * rng.standard_normal((32, 20, 3))
    ae = LSTMAutoencoderTransformer(
        units=16,
        activation="relu",
        optimizer="sgd",  # Adam's bounded steps and relu's clipped cells hold
        learning_rate=10.0,
        scale=False,
        epochs=20,
    )
    with pytest.raises(FloatingPointError, match="diverged.*learning_rate"):
        ae.fit(X)
    assert not hasattr(ae, "model_")


def test_scaling_makes_unscaled_data_learnable():
    # Sensor-like data: large offset and scale. Same budget, with and without
    # in-model standardization; error relative to the data's variance (1.0 is
    # what predicting the mean achieves).
    X = 500.0 + 200.0 * sine_batch(64, 16, n_features=2, seed=3)
    params = dict(units=8, epochs=30, patience=None, random_state=0)
    errors = {}
    for scale in (True, False):
        ae = LSTMAutoencoderTransformer(scale=scale, **params).fit(X)
        errors[scale] = -ae.score(X) / X.var()
    assert errors[True] < 1.0
    assert errors[True] < errors[False] / 4


def test_sequences_container_reports_shape():
    seqs = Sequences(np.zeros((2, 3, 4), np.float32), np.array([3, 2]), "padded")
    assert len(seqs) == 2 and seqs.n_features == 4


@pytest.mark.parametrize("layout", ["list", "padded"])
def test_windows_cut_each_sequence_into_even_consecutive_parts(ragged, layout):
    X = ragged if layout == "list" else nan_padded(ragged, 14)
    seqs = as_sequences(X, name="test").shifted(np.array([0.5, -1.0]))
    windows, counts = seqs.windows(4)
    np.testing.assert_array_equal(counts, -(-seqs.lengths // 4))
    parts = np.split(windows.values, np.cumsum(counts)[:-1])
    lengths = np.split(windows.lengths, np.cumsum(counts)[:-1])
    for sequence, part, n in zip(ragged, parts, lengths):
        assert n.max() <= 4 and n.max() - n.min() <= 1  # no stub at the end
        joined = np.concatenate([w[:k] for w, k in zip(part, n)])
        np.testing.assert_array_equal(joined, sequence - np.float32([0.5, -1.0]))


def test_ragged_helper_is_ragged():
    assert len({len(s) for s in ragged_batch(10)}) > 1


@pytest.mark.parametrize(
    "make", [LSTMAutoencoderTransformer, partial(CompositeLSTMAutoencoder, n_future=2)]
)
def test_a_large_offset_costs_no_precision(make):
    # Absolute pressures, timestamps, prices: 1e6 + 0.01 * x. In float32 the
    # offset alone leaves steps of 0.0625, far coarser than the variation.
    X = 0.01 * sine_batch(32, 20, n_features=2, seed=4).astype(np.float64)
    offset = np.array([1e6, -3e5])
    params = dict(units=4, epochs=2, random_state=0)
    plain = make(**params).fit(X)
    shifted = make(**params).fit(X + offset)
    features = shifted.transform(X + offset)
    assert len(np.unique(features[:, 0])) == len(X)
    # Equal to float32 round-off: codes are about 1, outputs about 0.01.
    np.testing.assert_allclose(features, plain.transform(X), rtol=0, atol=1e-6)
    np.testing.assert_allclose(
        shifted.predict(X + offset) - offset, plain.predict(X), rtol=0, atol=1e-8
    )
    np.testing.assert_allclose(
        shifted.score_samples(X + offset), plain.score_samples(X), rtol=1e-5
    )
    Z = plain.transform(X)
    np.testing.assert_allclose(
        shifted.inverse_transform(Z) - offset, plain.inverse_transform(Z), atol=1e-8
    )


def test_a_trailing_all_nan_step_in_a_list_is_an_error_not_padding():
    # Lists need no padding, so a last step missing in every feature is data.
    seqs = [np.ones((5, 2)), np.vstack([np.ones((4, 2)), [[np.nan, np.nan]]])]
    with pytest.raises(
        ValueError, match="NaN inside a sequence.*sequence 1, time step 4"
    ):
        LSTMAutoencoderTransformer(**TINY).fit(seqs)


def test_in_arrays_trailing_all_nan_steps_are_padding():
    X = sine_batch(2, 5, n_features=2).astype(np.float64)
    X[1, 4] = np.nan
    np.testing.assert_array_equal(as_sequences(X, name="test").lengths, [5, 4])


def test_channels_first_collections_convert_unambiguously():
    # aeon/sktime: (n_cases, n_channels, n_timepoints).
    X = sine_batch(6, 30, n_features=3).transpose(0, 2, 1)
    converted = from_channels_first(X)
    assert converted.shape == (6, 30, 3)
    ae = LSTMAutoencoderTransformer(**TINY).fit(converted)
    assert ae.n_features_in_ == 3 and ae.n_timesteps_ == 30
    ragged = [x[:, :n] for x, n in zip(X, (30, 12, 7, 30, 5, 9))]
    assert [a.shape for a in from_channels_first(ragged)] == [
        (n, 3) for n in (30, 12, 7, 30, 5, 9)
    ]
    np.testing.assert_array_equal(from_channels_first(ragged)[2], X[2, :, :7].T)


@pytest.mark.parametrize(
    "X, match",
    [(np.zeros((2, 3, 4, 5)), "3-D array"), ([np.zeros(5)], "case 0 has shape")],
)
def test_channels_first_rejects_other_shapes(X, match):
    with pytest.raises(ValueError, match=match):
        from_channels_first(X)


def test_batches_are_views_until_padded():
    # The user's float64 values are kept; a batch is float32 minus the offset.
    X = [np.arange(4.0)[:, None] + 1e6, np.arange(2.0)[:, None] + 1e6]
    seqs = as_sequences(X, name="test").shifted(np.array([1e6]))
    batch = seqs.batch([1, 0])
    assert batch.dtype == np.float32
    np.testing.assert_array_equal(
        batch[:, :, 0], [[0, 1, np.nan, np.nan], [0, 1, 2, 3]]
    )
    assert seqs.batch([0], dtype=np.float64).dtype == np.float64


def test_scale_false_warns_when_float32_cannot_hold_the_variation():
    X = 1e6 + 0.01 * sine_batch(8, 10).astype(np.float64)
    with pytest.warns(UserWarning, match="scale=False reads the data in float32"):
        LSTMAutoencoderTransformer(**{**TINY, "scale": False}).fit(X)
