"""``scale``: standardizing over the data set or each sequence on its own."""

import numpy as np
import pytest

from skseqae import CompositeLSTMAutoencoder, LSTMAutoencoderTransformer

from .conftest import ragged_batch, sine_batch

TINY = dict(units=6, epochs=3, batch_size=8, random_state=0, pretrained=False)


def _sizes(X, low, high):
    """``X`` with each sequence scaled by a size from ``10**low`` to ``10**high``."""
    return X * np.logspace(low, high, len(X))[:, None, None]


@pytest.mark.parametrize(
    "scale, low, high, expected",
    [
        ("auto", -3, 3, True),  # six orders of magnitude
        ("auto", -0.5, 0.5, False),  # sizes within 10x
        ("sequence", -0.5, 0.5, True),
        (True, -3, 3, False),
        (False, -3, 3, False),
    ],
)
def test_auto_standardizes_each_sequence_where_sizes_span_orders_of_magnitude(
    scale, low, high, expected
):
    X = _sizes(sine_batch(24, 20, 2), low, high)
    ae = LSTMAutoencoderTransformer(scale=scale, **TINY).fit(X)
    assert ae.sequence_scaling_ is expected
    # The level and log size of each feature follow the code.
    assert ae.transform(X).shape == (24, 6 * 2 * 3 + 2 * 2 * expected)


def test_one_feature_spanning_orders_of_magnitude_is_enough():
    X = sine_batch(24, 20, 2)
    X[..., 1] *= np.logspace(-3, 3, 24)[:, None]
    assert LSTMAutoencoderTransformer(**TINY).fit(X).sequence_scaling_ is True


@pytest.fixture(scope="module")
def fitted():
    X = _sizes(sine_batch(24, 20, 2).astype(np.float64), -3, 3) + 5.0
    return LSTMAutoencoderTransformer(scale="sequence", **TINY).fit(X), X


def test_the_code_reads_each_sequences_shape_whatever_its_level_and_size(fitted):
    ae, X = fitted
    # Larger sizes only: none reaches the floor (1e-6 of the training std).
    a, b = np.array([1e4, 3.0]), np.array([-3.0, 50.0])
    Z, moved = ae.transform(X), ae.transform(X * a + b)
    code = ae._spec.code_size
    np.testing.assert_allclose(moved[:, :code], Z[:, :code], atol=1e-4)
    # The last features say the level and log size, relative to training.
    reference_mean, reference_std = ae._sequence_reference
    log_a = np.broadcast_to(np.log(a), (len(X), 2))
    np.testing.assert_allclose(moved[:, -2:] - Z[:, -2:], log_a, atol=1e-9)
    level = X.mean(axis=1) * a + b
    np.testing.assert_allclose(
        moved[:, code : code + 2], (level - reference_mean) / reference_std
    )


def test_outputs_come_back_in_the_data_units_of_each_sequence(fitted):
    ae, X = fitted
    a, b = 1e3, -2.0
    np.testing.assert_allclose(
        ae.reconstruct(a * X + b), a * ae.reconstruct(X) + b, rtol=1e-5, atol=1e-3
    )
    # Squared errors in the data's units: a sequence a times larger scores a**2.
    np.testing.assert_allclose(
        ae.score_samples(a * X + b), a**2 * ae.score_samples(X), rtol=1e-4
    )
    # Small sequences are rebuilt as closely as large ones, for their size.
    error = np.abs(ae.reconstruct(X) - X).mean(axis=(1, 2))
    size = X.std(axis=1).mean(axis=1)
    relative = error / size
    assert relative.max() < 3 * np.median(relative)


def test_inverse_transform_scales_the_decoded_code_back(fitted):
    ae, X = fitted
    np.testing.assert_allclose(
        ae.inverse_transform(ae.transform(X)), ae.reconstruct(X), rtol=1e-4, atol=1e-6
    )


def test_dataset_standardization_squashes_small_sequences_that_this_keeps():
    X = _sizes(sine_batch(24, 20, 1, seed=1), -3, 3)
    errors = {}
    for scale in (True, "sequence"):
        ae = LSTMAutoencoderTransformer(scale=scale, **{**TINY, "epochs": 30})
        ae.fit(X)
        small = slice(0, 8)  # sizes 1e-3 to about 1e-1
        relative = np.abs(ae.reconstruct(X[small]) - X[small]).mean(axis=(1, 2))
        errors[scale] = np.median(relative / X[small].std(axis=1)[:, 0])
    # Over the data set, the small sequences are lost next to the large
    # ones (errors many times their own size); standardized each, they are
    # rebuilt at their own scale.
    assert errors[True] > 10, errors
    assert errors["sequence"] < 0.01 * errors[True], errors


def test_constant_and_ragged_sequences_give_finite_features():
    X = ragged_batch(10, n_features=2)
    X = [x * 10.0**k for k, x in zip(range(-4, 6), X)]
    X[3] = np.full_like(X[3], 2.5)  # constant: its size is the floor
    ae = LSTMAutoencoderTransformer(**TINY).fit(X)
    assert ae.sequence_scaling_ is True
    Z = ae.transform(X)
    assert np.isfinite(Z).all()
    reconstructions = ae.predict(X)
    assert [r.shape for r in reconstructions] == [x.shape for x in X]
    # Constant: rebuilt as its level, give or take the floor (1e-6 of the
    # data set's standard deviation) times an output of order 1.
    np.testing.assert_allclose(reconstructions[3], X[3], rtol=1e-4)


def test_the_composite_forecasts_each_sequence_at_its_own_scale():
    t = np.linspace(0, 6, 30)
    X = np.sin(t)[None, :, None] * np.logspace(-3, 3, 24)[:, None, None]
    model = CompositeLSTMAutoencoder(n_future=4, **{**TINY, "epochs": 40})
    model.fit(X)
    assert model.sequence_scaling_ is True
    forecast = model.predict(X[:, :26])
    # Every forecast is about its own sequence's continuation, in its units.
    error = np.abs(forecast - X[:, 26:]).mean(axis=(1, 2))
    relative = error / X[:, :26, 0].std(axis=1)
    assert relative.max() < 0.5, relative
    np.testing.assert_allclose(
        model.predict(X[:, :26] * 1e3), forecast * 1e3, rtol=1e-4, atol=1e-6
    )
    assert np.isfinite(model.score_samples(X)).all()
