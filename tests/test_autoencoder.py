"""LSTMAutoencoderTransformer: the behaviours users of the API rely on."""

import copy
import pickle
import random

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline

from skseqae import LSTMAutoencoderTransformer

TINY = dict(units=4, epochs=2, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def fitted(X3d):
    return LSTMAutoencoderTransformer(**TINY).fit(X3d)


def test_seed_tutorial_reconstruction():
    # The seed tutorial: reconstruct 0.1..0.9 with LSTM(100, relu), 300 epochs;
    # it printed 0.110, 0.207, ..., 0.906.
    sequence = np.linspace(0.1, 0.9, 9).reshape(1, 9, 1)
    ae = LSTMAutoencoderTransformer(
        units=100,
        encoding="last",
        bidirectional=False,
        activation="relu",
        epochs=300,
        patience=None,
        random_state=1,
    )
    ae.fit(sequence)
    assert ae.n_iter_ == 300
    np.testing.assert_allclose(
        ae.predict(sequence)[0, :, 0], sequence[0, :, 0], atol=0.05
    )
    assert ae.encoder_.predict(sequence, verbose=0).shape == (1, 100)


def test_shapes_of_every_output(fitted, X3d):
    # last, mean, max of 4 units, forward and backward
    assert fitted.transform(X3d).shape == (40, 24)
    assert fitted.transform(X3d).dtype == np.float64
    assert fitted.predict(X3d).shape == X3d.shape
    assert fitted.reconstruct(X3d).shape == X3d.shape
    Z = fitted.transform(X3d[:5])
    assert fitted.inverse_transform(Z).shape == (5, 12, 2)
    assert fitted.score_samples(X3d).shape == (40,)
    assert fitted.n_features_in_ == 2
    assert fitted.n_timesteps_ == 12


def test_2d_input_is_univariate_sequences(X2d):
    ae = LSTMAutoencoderTransformer(**TINY).fit(X2d)
    assert ae.n_features_in_ == 10
    assert ae.predict(X2d).shape == X2d.shape
    assert ae.inverse_transform(ae.transform(X2d)).shape == X2d.shape
    with pytest.raises(ValueError, match="X has 9 features, but"):
        ae.transform(X2d[:, :9])


def test_dataframe_input_and_pandas_output(X2d):
    pd = pytest.importorskip(
        "pandas", reason="set_output and DataFrame input need pandas (test extra)"
    )
    df = pd.DataFrame(X2d, columns=[f"t{i}" for i in range(10)])
    ae = LSTMAutoencoderTransformer(**TINY).set_output(transform="pandas").fit(df)
    out = ae.transform(df)
    assert list(out.columns) == [f"lstmautoencodertransformer{i}" for i in range(24)]
    assert list(ae.feature_names_in_) == list(df.columns)


def test_standalone_encoder_and_decoder_share_the_weights(fitted, X3d):
    # The Keras models take the data as it is and subtract (add back) the
    # training mean in float32; the estimator's methods do it in float64.
    # They agree to float32 round-off at the data's scale (about 1).
    tol = dict(rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(
        fitted.encoder_.predict(X3d, verbose=0), fitted.transform(X3d), **tol
    )
    Z = fitted.transform(X3d)
    np.testing.assert_allclose(
        fitted.decoder_.predict(Z, verbose=0), fitted.inverse_transform(Z), **tol
    )
    np.testing.assert_allclose(
        fitted.model_.predict(X3d, verbose=0), fitted.predict(X3d), **tol
    )


def test_score_is_negative_reconstruction_mse(fitted, X3d):
    mse = ((fitted.predict(X3d).astype(np.float64) - X3d) ** 2).mean(axis=(1, 2))
    np.testing.assert_allclose(fitted.score_samples(X3d), -mse, rtol=1e-6)
    assert fitted.score(X3d) == pytest.approx(-mse.mean())


def test_anomalies_score_lower(X3d):
    ae = LSTMAutoencoderTransformer(units=8, epochs=30, random_state=0).fit(X3d)
    rng = np.random.default_rng(1)
    anomalies = rng.uniform(-3, 3, X3d[:10].shape).astype(np.float32)
    assert ae.score_samples(anomalies).max() < np.median(ae.score_samples(X3d))


def test_history_and_early_stopping_restores_the_best_weights(X3d):
    keras = pytest.importorskip("keras")

    class Snapshots(keras.callbacks.Callback):
        """The estimator's weights at the end of every epoch."""

        weights = []

        def on_epoch_end(self, epoch, logs=None):
            Snapshots.weights.append([w.copy() for w in self.model.get_weights()])

    ae = LSTMAutoencoderTransformer(
        units=4,
        epochs=50,
        patience=2,
        validation_fraction=0.25,
        random_state=0,
        learning_rate=0.05,
        callbacks=[Snapshots()],
    ).fit(X3d)
    assert set(ae.history_) == {"loss", "val_loss"}
    assert len(ae.history_["loss"]) == ae.n_iter_ == len(Snapshots.weights)
    assert ae.n_iter_ < 50
    best = int(np.argmin(ae.history_["val_loss"]))
    assert best < ae.n_iter_ - 1  # stopped after epochs that did not improve
    # The fitted model holds the weights of its best epoch, not its last.
    final = ae.model_.get_weights()
    for got, want in zip(final, Snapshots.weights[best]):
        np.testing.assert_array_equal(got, want)
    assert any(
        not np.array_equal(got, last) for got, last in zip(final, Snapshots.weights[-1])
    )


def test_no_validation_when_too_few_sequences():
    X = np.random.default_rng(0).standard_normal((5, 6, 1))
    ae = LSTMAutoencoderTransformer(units=3, epochs=2, validation_fraction=0.1)
    assert set(ae.fit(X).history_) == {"loss"}


def test_callbacks_are_called_and_can_stop(X3d):
    keras = pytest.importorskip("keras")

    class Count(keras.callbacks.Callback):
        epochs = 0

        def on_epoch_end(self, epoch, logs=None):
            Count.epochs += 1
            assert "loss" in logs
            if epoch == 2:
                self.model.stop_training = True

    ae = LSTMAutoencoderTransformer(
        units=3, epochs=10, patience=None, callbacks=[Count()]
    )
    ae.fit(X3d)
    assert Count.epochs == 3 and ae.n_iter_ == 3


def test_optimizer_instance_is_copied_not_modified(X3d):
    keras = pytest.importorskip("keras")
    optimizer = keras.optimizers.RMSprop(learning_rate=0.01)
    LSTMAutoencoderTransformer(units=3, epochs=1, optimizer=optimizer).fit(X3d)
    assert int(optimizer.iterations.numpy()) == 0


@pytest.mark.parametrize(
    "params",
    [
        dict(units=(6, 3)),
        dict(encoding="mean"),
        dict(encoding="max"),
        dict(activation="relu"),
        dict(bidirectional=False),
        dict(max_steps=5),
    ],
)
def test_architecture_variants_give_their_number_of_features(params, X3d):
    ae = LSTMAutoencoderTransformer(**{**TINY, **params}).fit(X3d)
    out = ae.transform(X3d)
    assert np.isfinite(out).all()
    width = params.get("units", (4,))[-1]
    n_parts = len(params.get("encoding", "last_mean_max").split("_"))
    directions = 2 if params.get("bidirectional", True) else 1
    # 12 steps over max_steps=5: the code, then the windows' mean and max codes.
    blocks = 3 if "max_steps" in params else 1
    assert out.shape == (40, blocks * n_parts * width * directions)


def _weights_after(X, **params):
    ae = LSTMAutoencoderTransformer(**{**TINY, **params}).fit(X)
    return ae.model_.get_weights()


def _same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("params", [dict(dropout=0.3), dict(shuffle=False)])
def test_training_options_change_training(params, X3d):
    # Same seed, same data: only the option differs, and it must matter
    # (this would pass with the option ignored if it compared shapes).
    assert _same(_weights_after(X3d), _weights_after(X3d))  # deterministic
    assert not _same(_weights_after(X3d, **params), _weights_after(X3d))


def test_dropout_acts_on_every_lstm_while_training_only(X3d):
    ae = LSTMAutoencoderTransformer(**TINY, dropout=0.3).fit(X3d)
    lstms = [layer for layer in ae.model_.layers if "_lstm_" in layer.name]
    assert lstms and all(layer.dropout == 0.3 for layer in lstms)
    # Inference does not drop: features are the same at every call.
    np.testing.assert_array_equal(ae.transform(X3d), ae.transform(X3d))


def test_optimizer_name_trains_with_that_optimizer(X3d):
    keras = pytest.importorskip("keras")
    by_name = _weights_after(X3d, optimizer="sgd", learning_rate=0.01)
    given = _weights_after(X3d, optimizer=keras.optimizers.SGD(learning_rate=0.01))
    for got, want in zip(by_name, given):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    assert not _same(by_name, _weights_after(X3d, learning_rate=0.01))  # Adam


def test_scale_makes_features_independent_of_units_of_measurement(X3d):
    # With scale=True (the default) the network reads standardized values,
    # so data in other units (10 * x + 3) gives the same features; with
    # scale=False it reads the raw values, and the features change.
    X = X3d.astype(np.float64)
    other_units = 10 * X + 3

    def features(data, scale):
        return LSTMAutoencoderTransformer(**TINY, scale=scale).fit(data).transform(data)

    np.testing.assert_allclose(
        features(other_units, True), features(X, True), rtol=0, atol=1e-5
    )
    difference = np.abs(features(other_units, False) - features(X, False)).max()
    assert difference > 0.1


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(units=0), "units"),
        (dict(units=(4, 0)), "units"),
        (dict(activation="cube"), "activation"),
        (dict(epochs=-1), "epochs"),
        (dict(pretrained="yes"), "pretrained"),
        (dict(learning_rate=-1.0), "learning_rate"),
        (dict(dropout=1.0), "dropout"),
        (dict(validation_fraction=1.5), "validation_fraction"),
        (dict(optimizer="lbfgs"), "optimizer"),
    ],
)
def test_invalid_parameters_are_named(params, match, X3d):
    with pytest.raises(ValueError, match=match):
        LSTMAutoencoderTransformer(**params).fit(X3d)


def test_pipeline_with_classifier_ignores_labels(X3d):
    y = (X3d[:, 0, 0] > 0).astype(int)
    pipe = make_pipeline(LSTMAutoencoderTransformer(**TINY), LogisticRegression())
    pipe.fit(X3d, y)
    alone = LSTMAutoencoderTransformer(**TINY).fit(X3d)  # no labels at all
    np.testing.assert_array_equal(pipe[0].transform(X3d), alone.transform(X3d))
    Z = alone.transform(X3d)
    expected = LogisticRegression().fit(Z, y).predict(Z)
    np.testing.assert_array_equal(pipe.predict(X3d), expected)


def test_gridsearch_tunes_the_autoencoder_alone(X3d):
    search = GridSearchCV(
        LSTMAutoencoderTransformer(units=3, epochs=2, random_state=0),
        {"units": [2, 3]},
        cv=2,
    ).fit(X3d)
    # Without labels the search scores each candidate by its own score:
    # minus the reconstruction error on the held-out folds.
    expected = []
    for units in (2, 3):
        folds = []
        for train, test in KFold(2).split(X3d):
            ae = LSTMAutoencoderTransformer(units=units, epochs=2, random_state=0)
            ae.fit(X3d[train])
            error = np.mean((ae.reconstruct(X3d[test]) - X3d[test]) ** 2)
            folds.append(-error)
        expected.append(np.mean(folds))
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], expected, rtol=1e-5
    )
    assert search.best_params_["units"] == (2, 3)[int(np.argmax(expected))]


def test_gridsearch_in_separate_processes(X3d):
    y = (X3d[:, 0, 0] > 0).astype(int)
    pipe = make_pipeline(LSTMAutoencoderTransformer(**TINY), LogisticRegression())
    search = GridSearchCV(
        pipe, {"lstmautoencodertransformer__units": [2, 3]}, cv=2, n_jobs=2
    )
    search.fit(X3d, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


@pytest.mark.parametrize(
    "roundtrip",
    [
        lambda e: pickle.loads(pickle.dumps(e)),
        copy.deepcopy,
        lambda e: joblib.load(joblib.dump(e, "/tmp/skseqae-test.joblib")[0]),
    ],
    ids=["pickle", "deepcopy", "joblib"],
)
def test_persistence_keeps_outputs_identical(roundtrip, fitted, X3d):
    restored = roundtrip(fitted)
    np.testing.assert_array_equal(restored.transform(X3d), fitted.transform(X3d))
    np.testing.assert_array_equal(restored.predict(X3d), fitted.predict(X3d))


def test_clone_is_unfitted_with_same_params(fitted):
    c = clone(fitted)
    assert c.get_params() == fitted.get_params()
    assert not hasattr(c, "model_")


def test_seeded_fits_are_reproducible(X3d):
    a = LSTMAutoencoderTransformer(**TINY).fit(X3d).transform(X3d)
    b = LSTMAutoencoderTransformer(**TINY).fit(X3d).transform(X3d)
    c = (
        LSTMAutoencoderTransformer(**{**TINY, "random_state": 1})
        .fit(X3d)
        .transform(X3d)
    )
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_fitting_leaves_global_state_alone(X3d):
    import tensorflow as tf
    from tensorflow.python.framework import config  # no public getter exists

    np.random.seed(123)
    random.seed(123)
    numpy_state, python_state = np.random.get_state(), random.getstate()
    determinism = config.is_op_determinism_enabled()
    for seed in (0, None):
        LSTMAutoencoderTransformer(units=3, epochs=1, random_state=seed).fit(X3d)
    assert random.getstate() == python_state
    after = np.random.get_state()
    assert after[0] == numpy_state[0] and np.array_equal(after[1], numpy_state[1])
    assert config.is_op_determinism_enabled() == determinism
    # Unseeded TensorFlow code keeps working after a seeded fit.
    assert tf.random.uniform((2,)).shape == (2,)


def test_fits_of_one_architecture_stay_independent(X3d):
    # Fits of the same architecture share compiled code, never weights.
    a = LSTMAutoencoderTransformer(**TINY).fit(X3d)
    before = a.transform(X3d)
    LSTMAutoencoderTransformer(**{**TINY, "random_state": 5}).fit(X3d * 2)
    np.testing.assert_array_equal(a.transform(X3d), before)


def test_verbose_zero_prints_nothing(capfd, X3d):
    LSTMAutoencoderTransformer(units=3, epochs=2).fit(X3d).transform(X3d)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_verbose_one_shows_progress_per_epoch(capfd, X3d):
    LSTMAutoencoderTransformer(units=3, epochs=2, verbose=1).fit(X3d)
    out, _ = capfd.readouterr()
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss" in out


def test_transform_before_fit_says_so(X3d):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LSTMAutoencoderTransformer().transform(X3d)


def test_last_step_encoding_is_the_seed_encoder(X3d):
    seed_encoder = dict(encoding="last", bidirectional=False)
    ae = LSTMAutoencoderTransformer(**seed_encoder, **TINY).fit(X3d)
    assert ae.transform(X3d).shape == (40, 4)
    assert ae.inverse_transform(ae.transform(X3d)).shape == X3d.shape


def test_inverse_transform_checks_width(fitted):
    with pytest.raises(ValueError, match="expected 24 features"):
        fitted.inverse_transform(np.zeros((2, 3)))


def test_scikeras_classifier_downstream(X3d):
    scikeras = pytest.importorskip(
        "scikeras.wrappers",
        reason="the scikeras partner test needs scikeras (test extra)",
    )
    keras = pytest.importorskip("keras")

    def build(meta):
        model = keras.Sequential(
            [
                keras.Input((meta["n_features_in_"],)),
                keras.layers.Dense(meta["n_classes_"], activation="softmax"),
            ]
        )
        model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
        return model

    y = (X3d[:, 0, 0] > 0).astype(int)
    clf = scikeras.KerasClassifier(model=build, epochs=2, verbose=0, random_state=0)
    pipe = make_pipeline(LSTMAutoencoderTransformer(**TINY), clf).fit(X3d, y)
    # The Keras classifier was fitted on our features, not on the raw steps.
    assert pipe[-1].n_features_in_ == pipe[0].transform(X3d).shape[1]
    assert pipe.predict(X3d).shape == y.shape


def test_max_steps_pools_long_sequences_but_keeps_each_layout(ragged):
    # 14 steps at most with max_steps=4: windows of 4 steps.
    ae = LSTMAutoencoderTransformer(**{**TINY, "max_steps": 4}).fit(ragged)
    out = ae.reconstruct(ragged)
    assert [o.shape for o in out] == [s.shape for s in ragged]
    # Made at the coarse resolution: constant within each window.
    np.testing.assert_array_equal(out[0][:4], np.repeat(out[0][:1], 4, axis=0))
    padded = np.full((len(ragged), 20, 2), np.nan, np.float32)
    for i, s in enumerate(ragged):
        padded[i, : len(s)] = s
    np.testing.assert_allclose(ae.transform(padded), ae.transform(ragged), atol=1e-5)
    assert np.isnan(ae.reconstruct(padded)[0, len(ragged[0]) :]).all()
    assert ae.inverse_transform(ae.transform(ragged)).shape == (30, ae.n_timesteps_, 2)
