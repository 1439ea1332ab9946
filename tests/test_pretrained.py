"""The pretrained weights: where they apply, what they hold, how they were made."""

import hashlib
import pickle
import subprocess
import sys
import textwrap
from importlib import resources

import keras
import numpy as np
import pytest

from skseqae import CompositeLSTMAutoencoder, LSTMAutoencoderTransformer
from skseqae._pretrained import (
    FIT,
    RECIPE,
    WEIGHTS,
    pretraining_sequences,
    shipped_layers,
    shipped_record,
    shipped_weights,
)
from skseqae.datasets import list_datasets, list_series, load_dataset

from .conftest import sine_batch


def _layers_equal_shipped(model):
    shipped = shipped_weights()
    return {
        name: all(
            np.array_equal(w, s)
            for w, s in zip(model.get_layer(name).get_weights(), shipped[name])
        )
        for name in shipped_layers()
    }


def _znormed(X):
    X = np.asarray(X, np.float64)
    return (X - X.mean(1, keepdims=True)) / X.std(1, keepdims=True)


@pytest.fixture(scope="module")
def unseen():
    """GunPoint's test split (never read by the pretraining), z-normalized."""
    return _znormed(load_dataset("gunpoint")[2][:60, :, 0])


def test_epochs_0_uses_the_shipped_weights_as_they_are(unseen):
    ae = LSTMAutoencoderTransformer(epochs=0, random_state=0).fit(unseen)
    assert ae.pretrained_ is True
    assert ae.n_iter_ == 0 and ae.history_ == {}
    assert all(_layers_equal_shipped(ae.model_).values())
    # The seed draws nothing that matters then: the features are the weights'.
    other = LSTMAutoencoderTransformer(epochs=0, random_state=1).fit(unseen)
    np.testing.assert_array_equal(ae.transform(unseen), other.transform(unseen))


def test_shipped_weights_reconstruct_series_they_never_saw(unseen):
    """A trained autoencoder, not a random one: on GunPoint's test split."""
    errors = {
        pretrained: -LSTMAutoencoderTransformer(
            pretrained=pretrained, epochs=0, random_state=0
        )
        .fit(unseen)
        .score(unseen)
        for pretrained in (True, False)
    }
    # Standardized units: predicting each step's mean scores about 1.
    assert errors[True] < 0.3, errors
    assert errors[False] > 0.8, errors


@pytest.mark.parametrize(
    "params, n_features, got",
    [
        ({"units": 8}, 1, "units=8 instead of 64"),
        ({"units": (64, 64)}, 1, r"units=\(64, 64\) instead of \(64,\)"),
        ({"bidirectional": False}, 1, "bidirectional=False instead of True"),
        ({"encoding": "mean_max"}, 1, "encoding='mean_max' instead of 'last_mean_max'"),
        ({"activation": "relu"}, 1, "activation='relu' instead of 'tanh'"),
        # The weights were made for standardized inputs.
        ({"scale": False}, 1, "scale=False instead of True"),
    ],
)
def test_auto_starts_from_random_weights_where_the_shipped_ones_do_not_fit(
    params, n_features, got
):
    X = sine_batch(12, 20, n_features)
    ae = LSTMAutoencoderTransformer(epochs=0, random_state=0, **params).fit(X)
    assert ae.pretrained_ is False
    required = LSTMAutoencoderTransformer(pretrained=True, **params)
    with pytest.raises(ValueError, match=f"; got {got}. Change it") as error:
        required.fit(X)
    assert "LSTMAutoencoderTransformer(pretrained=True) needs" in str(error.value)
    assert "reverse_reconstruction" not in str(error.value)  # composite-only
    assert not hasattr(required, "model_")  # the failed fit left nothing


def test_multivariate_data_start_from_the_shipped_encoder_but_its_input_kernels():
    X = sine_batch(12, 20, 3)
    ae = LSTMAutoencoderTransformer(pretrained=True, epochs=0, random_state=0).fit(X)
    assert ae.pretrained_ is True
    at_random = LSTMAutoencoderTransformer(pretrained=False, epochs=0, random_state=0)
    at_random.fit(X)
    shipped = shipped_weights()
    for name in shipped_layers():
        got = ae.model_.get_layer(name).get_weights()
        random = at_random.model_.get_layer(name).get_weights()
        if name in ("encoder_lstm_0", "encoder_backward_lstm_0"):
            # The kernel that mixes the 3 features is the seeded random one.
            assert got[0].shape == (3, 256)
            np.testing.assert_array_equal(got[0], random[0])
            expected = [random[0], *shipped[name][1:]]
        elif name.startswith("encoder"):
            expected = shipped[name]
        else:  # the decoder, which tells the features apart, starts at random
            expected = random
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_array_equal(g, e)
    # The pretrained start changes the features of the random one.
    assert not np.allclose(ae.transform(X), at_random.transform(X))


@pytest.mark.parametrize("false", [False, np.False_])
def test_pretrained_false_starts_from_random_weights(unseen, false):
    ae = LSTMAutoencoderTransformer(pretrained=false, epochs=0, random_state=0)
    ae.fit(unseen)
    assert ae.pretrained_ is False
    assert not any(_layers_equal_shipped(ae.model_).values())


def test_epochs_0_calls_no_callback_and_records_no_history(unseen):
    class Spy(keras.callbacks.Callback):
        calls = 0

        def on_train_begin(self, logs=None):
            Spy.calls += 1

    ae = LSTMAutoencoderTransformer(epochs=0, callbacks=[Spy()]).fit(unseen)
    assert Spy.calls == 0 and ae.history_ == {} and ae.n_iter_ == 0


def test_partial_fit_starts_from_the_shipped_weights(unseen):
    ae = LSTMAutoencoderTransformer(random_state=0).partial_fit(unseen)
    assert ae.pretrained_ is True and ae.n_iter_ == 1
    as_is = LSTMAutoencoderTransformer(epochs=0).fit(unseen)
    # One pass from the shipped weights, not from random ones (about 1.0).
    assert -ae.score(unseen) < -as_is.score(unseen) + 0.02


def test_shipped_weights_are_read_only():
    weights = shipped_weights()
    with pytest.raises(TypeError):
        weights["encoder_lstm_0"] = ()
    with pytest.raises(ValueError, match="read-only"):
        weights["encoder_lstm_0"][0][0, 0] = 1.0


def test_estimators_pickled_before_the_parameter_start_at_random(X2d):
    ae = LSTMAutoencoderTransformer(units=3, epochs=1, random_state=0).fit(X2d)
    state = ae.__getstate__()
    del state["pretrained"]  # as pickled by an earlier version
    old = LSTMAutoencoderTransformer.__new__(LSTMAutoencoderTransformer)
    old.__setstate__(state)
    assert old.get_params()["pretrained"] is False
    np.testing.assert_array_equal(old.transform(X2d), ae.transform(X2d))


def test_fine_tuning_trains_from_the_shipped_weights(unseen):
    def fitted():
        return LSTMAutoencoderTransformer(epochs=3, patience=None, random_state=0).fit(
            unseen
        )

    ae = fitted()
    assert ae.pretrained_ is True and ae.n_iter_ == 3
    assert not any(_layers_equal_shipped(ae.model_).values())
    as_is = LSTMAutoencoderTransformer(epochs=0).fit(unseen)
    assert ae.score(unseen) > as_is.score(unseen)  # training lowered the error
    np.testing.assert_array_equal(ae.transform(unseen), fitted().transform(unseen))


def test_composite_starts_encoder_and_reconstruction_from_the_shipped_weights():
    X = sine_batch(12, 20)
    ae = CompositeLSTMAutoencoder(pretrained=True, epochs=0, random_state=0).fit(X)
    assert ae.pretrained_ is True
    assert all(_layers_equal_shipped(ae.model_).values())
    assert CompositeLSTMAutoencoder(epochs=0).fit(X).pretrained_ is False
    for name in ("reverse_reconstruction", "conditional"):
        with pytest.raises(ValueError, match=f"; got {name}=True instead of False"):
            CompositeLSTMAutoencoder(pretrained=True, **{name: True}).fit(X)


def test_fresh_interpreter_reads_the_shipped_weights_and_loads_a_fit(tmp_path, unseen):
    """The package data is found by a new process, and a pickled fit loads."""
    ae = LSTMAutoencoderTransformer(epochs=0).fit(unseen)
    path = tmp_path / "ae.pkl"
    path.write_bytes(pickle.dumps(ae))
    script = textwrap.dedent(
        f"""
        import pickle, sys
        import numpy as np
        from skseqae import LSTMAutoencoderTransformer
        # Importing the package reads no weights.
        assert "skseqae._pretrained" not in sys.modules
        X = np.load(sys.argv[1])
        loaded = pickle.loads(open({str(path)!r}, "rb").read())
        fresh = LSTMAutoencoderTransformer(epochs=0).fit(X)
        assert loaded.pretrained_ is True and fresh.pretrained_ is True
        np.save(sys.argv[2], np.stack([loaded.transform(X), fresh.transform(X)]))
        """
    )
    np.save(tmp_path / "X.npy", unseen)
    subprocess.run(
        [sys.executable, "-c", script, tmp_path / "X.npy", tmp_path / "Z.npy"],
        check=True,
    )
    loaded, fresh = np.load(tmp_path / "Z.npy")
    np.testing.assert_array_equal(loaded, ae.transform(unseen))
    np.testing.assert_array_equal(fresh, ae.transform(unseen))


def test_record_describes_the_shipped_file():
    record = shipped_record()
    path = resources.files("skseqae").joinpath("_weights", f"{WEIGHTS}.npz")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == record["sha256"]
    assert record["recipe"] == RECIPE
    assert record["n_sequences"] == len(pretraining_sequences(**RECIPE))
    assert record["estimator"] == {"class": "LSTMAutoencoderTransformer", **FIT}
    # What the default max_steps=128 made of the longest pretraining sequence.
    assert record["pool"] == -(-RECIPE["max_length"] // 128) == 2
    shapes = {name: [w.shape for w in ws] for name, ws in shipped_weights().items()}
    assert shapes["encoder_lstm_0"] == [(1, 256), (64, 256), (256,)]
    assert shapes["reconstruction_lstm_0"] == [(384, 256), (64, 256), (256,)]
    assert shapes["reconstruction_output"] == [(64, 1), (1,)]


def test_pretraining_sequences_are_znormalized_univariate_windows():
    sequences = pretraining_sequences(**RECIPE)
    lengths = np.array([len(s) for s in sequences])
    assert lengths.min() >= 8 and lengths.max() == RECIPE["max_length"]
    for s in sequences[:: len(sequences) // 50]:
        assert s.dtype == np.float32 and s.shape[1] == 1
        np.testing.assert_allclose([s.mean(), s.std()], [0, 1], atol=1e-4)
    # Reproducible, and `exclude` leaves a set's sequences out.
    again = pretraining_sequences(**RECIPE)
    assert all(np.array_equal(a, b) for a, b in zip(sequences, again))
    only = pretraining_sequences(
        **RECIPE, exclude=(*list_datasets(), *list_series()[1:])
    )
    assert len(only) == RECIPE["windows"]
    lengths = [len(s) for s in only]
    assert min(lengths) >= RECIPE["min_length"]
    assert max(lengths) <= RECIPE["max_length"]
