"""CompositeLSTMAutoencoder: forecasting, reconstruction and their scores."""

import pickle

import numpy as np
import pytest

from skseqae import CompositeLSTMAutoencoder

from .conftest import sine_batch

TINY = dict(units=4, epochs=2, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def fitted(X3d):
    return CompositeLSTMAutoencoder(n_future=3, **TINY).fit(X3d)


def test_forecast_beats_repeating_the_last_value():
    train, test = sine_batch(256, 30, seed=0), sine_batch(64, 30, seed=1)
    model = CompositeLSTMAutoencoder(
        n_future=5, units=16, epochs=40, patience=None, random_state=0
    ).fit(train)
    forecast = model.predict(test[:, :-5])
    truth = test[:, -5:]
    naive = np.repeat(test[:, -6:-5], 5, axis=1)
    model_mse = np.mean((forecast - truth) ** 2)
    naive_mse = np.mean((naive - truth) ** 2)
    assert model_mse < naive_mse / 3


def test_output_shapes_follow_the_input_layout(fitted, X3d, X2d):
    assert fitted.predict(X3d).shape == (40, 3, 2)
    assert fitted.reconstruct(X3d).shape == X3d.shape
    assert fitted.transform(X3d).shape == (40, 24)  # last, mean, max; 2 directions
    model = CompositeLSTMAutoencoder(n_future=2, **TINY).fit(X2d)
    assert model.predict(X2d).shape == (40, 2)
    assert model.reconstruct(X2d).shape == X2d.shape


def test_history_has_both_losses(fitted):
    assert set(fitted.history_) == {
        "loss",
        "reconstruction_loss",
        "future_loss",
        "val_loss",
        "val_reconstruction_loss",
        "val_future_loss",
    }
    total = np.add(
        fitted.history_["reconstruction_loss"], fitted.history_["future_loss"]
    )
    np.testing.assert_allclose(fitted.history_["loss"], total, rtol=1e-5)


def test_standalone_decoders_match_the_methods(fitted, X3d):
    Z = fitted.transform(X3d).astype(np.float32)
    # The Keras decoder adds the training mean in float32, predict in float64:
    # they agree to float32 round-off at the data's scale (about 1).
    np.testing.assert_allclose(
        fitted.future_decoder_.predict(Z, verbose=0),
        fitted.predict(X3d),
        rtol=1e-5,
        atol=1e-7,
    )
    assert fitted.decoder_.predict(Z, verbose=0).shape == (40, fitted.n_timesteps_, 2)
    assert fitted.n_timesteps_ == 12 - 3


def test_score_weights_reconstruction_and_forecast(fitted, X3d):
    context, future = X3d[:, :-3], X3d[:, -3:]
    rec = np.mean((fitted.reconstruct(context) - context) ** 2, axis=(1, 2))
    fut = np.mean((fitted.predict(context) - future) ** 2, axis=(1, 2))
    np.testing.assert_allclose(fitted.score_samples(X3d), -(rec + fut) / 2, rtol=1e-5)
    assert fitted.score(X3d) == pytest.approx(np.mean(-(rec + fut) / 2), rel=1e-5)


def test_future_weight_zero_trains_reconstruction_only(X3d):
    model = CompositeLSTMAutoencoder(n_future=3, future_weight=0.0, **TINY).fit(X3d)
    np.testing.assert_allclose(
        model.history_["loss"], model.history_["reconstruction_loss"], rtol=1e-6
    )


def test_explicit_future_targets_as_in_the_seed():
    # The seed's composite program: reconstruct 0.1..0.9 and predict 0.2..0.9.
    seq = np.linspace(0.1, 0.9, 9).reshape(1, 9, 1)
    model = CompositeLSTMAutoencoder(
        n_future=8, units=32, epochs=150, patience=None, random_state=0
    ).fit(seq, future=seq[:, 1:])
    assert model.n_timesteps_ == 9
    np.testing.assert_allclose(model.reconstruct(seq), seq, atol=0.05)
    np.testing.assert_allclose(model.predict(seq), seq[:, 1:], atol=0.05)


@pytest.mark.parametrize(
    "future, match",
    [
        (np.zeros((40, 2, 2)), "exactly n_future=3"),
        (np.zeros((39, 3, 2)), "39 sequences but X has 40"),
        (np.zeros((40, 3, 1)), "1 feature"),
    ],
)
def test_explicit_future_is_checked(future, match, X3d):
    with pytest.raises(ValueError, match=match):
        CompositeLSTMAutoencoder(n_future=3, **TINY).fit(X3d, future=future)


def test_sequences_too_short_to_split_get_a_clear_error():
    with pytest.raises(ValueError, match="at least 4 time steps.*sequence 1 has 3"):
        CompositeLSTMAutoencoder(n_future=3, **TINY).fit(
            [np.ones(6), np.ones(3), np.ones(8)]
        )


def test_pipeline_labels_are_ignored(X3d):
    y = np.arange(40) % 2
    a = CompositeLSTMAutoencoder(n_future=2, **TINY).fit(X3d, y).transform(X3d)
    b = CompositeLSTMAutoencoder(n_future=2, **TINY).fit(X3d).transform(X3d)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("reverse", [True, False])
def test_reconstruction_comes_back_in_natural_order(reverse):
    X = sine_batch(128, 12, seed=2) + np.linspace(-1, 1, 12)[None, :, None]
    model = CompositeLSTMAutoencoder(
        n_future=2,
        reverse_reconstruction=reverse,
        units=16,
        epochs=40,
        patience=None,
        random_state=0,
    ).fit(X)
    rec = model.reconstruct(X)
    assert np.mean((rec - X) ** 2) < np.mean((rec - X[:, ::-1]) ** 2) / 4


def test_conditional_decoders_train_predict_and_pickle(X3d):
    model = CompositeLSTMAutoencoder(n_future=3, conditional=True, **TINY).fit(X3d)
    assert model.predict(X3d).shape == (40, 3, 2)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X3d), model.predict(X3d))
    np.testing.assert_array_equal(restored.transform(X3d), model.transform(X3d))


def test_after_explicit_futures_the_score_is_of_that_task():
    # Contexts of 3 steps and futures of 3: too short to split, as in fit.
    X, F = sine_batch(24, 3, seed=5), sine_batch(24, 3, seed=6)
    model = CompositeLSTMAutoencoder(n_future=3, **TINY).fit(X, future=F)
    rec = np.mean((model.reconstruct(X) - X) ** 2, axis=(1, 2))
    fut = np.mean((model.predict(X) - F) ** 2, axis=(1, 2))
    scores = model.score_samples(X, future=F)
    np.testing.assert_allclose(scores, -(rec + fut) / 2, rtol=1e-5)
    assert model.score(X, future=F) == pytest.approx(
        np.mean(-(rec + fut) / 2), rel=1e-5
    )
    for method in (model.score_samples, model.score):
        with pytest.raises(ValueError, match="fitted with explicit future.*future=F"):
            method(X)


def test_split_scoring_equals_scoring_the_split_given(fitted, X3d):
    np.testing.assert_allclose(
        fitted.score_samples(X3d[:, :-3], future=X3d[:, -3:]),
        fitted.score_samples(X3d),
        rtol=1e-6,
    )


def test_a_given_future_is_checked_when_scoring(fitted, X3d):
    with pytest.raises(ValueError, match="exactly n_future=3"):
        fitted.score_samples(X3d, future=X3d[:, :2])


def test_grid_search_scores_explicit_futures_through_metadata_routing():
    import sklearn
    from sklearn.model_selection import GridSearchCV

    X, F = sine_batch(24, 3, seed=5), sine_batch(24, 3, seed=6)
    with sklearn.config_context(enable_metadata_routing=True):
        model = (
            CompositeLSTMAutoencoder(n_future=3, **TINY)
            .set_fit_request(future=True)
            .set_score_request(future=True)
        )
        search = GridSearchCV(model, {"future_weight": [1.0]}, cv=2).fit(X, future=F)
        best = search.best_estimator_
        assert search.score(X, future=F) == pytest.approx(best.score(X, future=F))
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_max_steps_pools_the_context_not_the_future(X3d):
    model = CompositeLSTMAutoencoder(n_future=3, max_steps=4, **TINY).fit(X3d)
    assert model.predict(X3d).shape == (40, 3, 2)
    assert model.reconstruct(X3d).shape == X3d.shape
