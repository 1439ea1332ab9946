"""The pretrained weights: where they apply, what they hold, how they were made."""

import hashlib
import pickle
import subprocess
import sys
import textwrap
from importlib import resources

import numpy as np
import pytest

from skseqae import CompositeLSTMAutoencoder, LSTMAutoencoderTransformer
from skseqae._pretrained import (
    LAYERS,
    RECIPE,
    WEIGHTS,
    pretraining_sequences,
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
        for name in LAYERS
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
    "params, n_features",
    [
        ({}, 3),
        ({"units": 8}, 1),
        ({"bidirectional": False}, 1),
        ({"encoding": "mean_max"}, 1),
        ({"activation": "relu"}, 1),
        ({"scale": False}, 1),  # the weights were made for standardized inputs
    ],
)
def test_auto_starts_from_random_weights_where_the_shipped_ones_do_not_fit(
    params, n_features
):
    X = sine_batch(12, 20, n_features)
    ae = LSTMAutoencoderTransformer(epochs=0, random_state=0, **params).fit(X)
    assert ae.pretrained_ is False
    with pytest.raises(ValueError, match=r"pretrained=True\) needs .* got "):
        LSTMAutoencoderTransformer(pretrained=True, **params).fit(X)


def test_pretrained_false_starts_from_random_weights(unseen):
    ae = LSTMAutoencoderTransformer(pretrained=False, epochs=0, random_state=0)
    ae.fit(unseen)
    assert ae.pretrained_ is False
    assert not any(_layers_equal_shipped(ae.model_).values())


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
    for params in ({"reverse_reconstruction": True}, {"conditional": True}):
        with pytest.raises(ValueError, match=next(iter(params))):
            CompositeLSTMAutoencoder(pretrained=True, **params).fit(X)


def test_pretrained_fit_loads_in_a_fresh_interpreter(tmp_path, unseen):
    ae = LSTMAutoencoderTransformer(epochs=0).fit(unseen)
    path = tmp_path / "ae.pkl"
    path.write_bytes(pickle.dumps(ae))
    script = textwrap.dedent(
        f"""
        import pickle, sys
        import numpy as np
        ae = pickle.loads(open({str(path)!r}, "rb").read())
        assert ae.pretrained_ is True
        np.save(sys.argv[1], ae.transform(np.load(sys.argv[2])))
        """
    )
    np.save(tmp_path / "X.npy", unseen)
    subprocess.run(
        [sys.executable, "-c", script, tmp_path / "Z.npy", tmp_path / "X.npy"],
        check=True,
    )
    np.testing.assert_array_equal(np.load(tmp_path / "Z.npy"), ae.transform(unseen))


def test_record_describes_the_shipped_file():
    record = shipped_record()
    path = resources.files("skseqae").joinpath("_weights", f"{WEIGHTS}.npz")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == record["sha256"]
    assert record["recipe"] == RECIPE
    assert record["n_sequences"] == len(pretraining_sequences(**RECIPE))
    assert record["estimator"]["pretrained"] is False
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
