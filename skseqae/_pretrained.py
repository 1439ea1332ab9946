"""The univariate autoencoder pretrained on the bundled data, and its recipe.

``pretrained`` (a parameter of both estimators) starts a fit from weights
shipped in ``skseqae/_weights`` instead of random ones. They were made by
``scripts/pretrain_encoder.py`` from :func:`pretraining_sequences` (the
training parts of every bundled data set as univariate sequences, long ones
cut into windows; a recipe can add synthetic series, the shipped one does
not), and
``skseqae/_weights/univariate_bilstm64.json`` records how: the recipe's
arguments, the fit's parameters and epochs, and the versions it ran with.
"""

import json
from functools import lru_cache
from importlib import resources
from types import MappingProxyType

import numpy as np

#: The NetworkSpec fields that the shipped weights fit (any ``n_features``:
#: see :func:`load_into`).
ARCHITECTURE = {
    "units": (64,),
    "activation": "tanh",
    "encoding": "last_mean_max",
    "bidirectional": True,
    "reverse": False,
    "conditional": False,
}
WEIGHTS = "univariate_bilstm64"
#: The estimator parameters of the fit that made them (the others default).
FIT = {"pretrained": False, "random_state": 0, "epochs": 300}
#: The pretraining recipe's arguments for the shipped weights.
RECIPE = {
    "seed": 0,
    "min_length": 32,
    "max_length": 256,
    "per_set": 500,
    "per_sequence": 2,
    "windows": 200,
    "synthetic": 0,
}


@lru_cache(maxsize=1)
def shipped_layers():
    """The layers whose weights ship: the encoder's and the reconstruction
    decoder's LSTMs and output layer (as ``_models.layer_kinds`` names them)."""
    from ._models import NetworkSpec, layer_kinds

    spec = NetworkSpec(n_features=1, **ARCHITECTURE, dropout=0.0)
    return tuple(n for n, k in layer_kinds(spec).items() if k in ("lstm", "dense"))


def starts_pretrained(estimator, spec):
    """Whether a new fit of ``spec`` by ``estimator`` starts from the shipped
    weights; raises when ``pretrained=True`` and they do not fit."""
    auto = isinstance(estimator.pretrained, str)  # "auto", the one string allowed
    if not auto and not estimator.pretrained:  # False, or NumPy's False
        return False
    # The weights were made for standardized inputs.
    problem = mismatch(spec) or (None if estimator.scale else ("scale", False, True))
    if problem is None or auto:
        return problem is None
    field, value, needed = problem
    if field == "units" and len(value) == 1:
        value, needed = value[0], needed[0]
    field = {"reverse": "reverse_reconstruction"}.get(field, field)
    got = f"{field}={value!r} instead of {needed!r}"
    needs = (
        "units=64, activation='tanh', "
        "encoding='last_mean_max', bidirectional=True, scale other than False"
    )
    if spec.n_future:
        needs += ", reverse_reconstruction=False, conditional=False"
    raise ValueError(
        f"{type(estimator).__name__}(pretrained=True) needs what the pretrained "
        f"weights were made for ({needs}); got {got}. Change it, or pass "
        "pretrained='auto' (random initial weights where the shipped ones do "
        "not fit) or pretrained=False."
    )


def mismatch(spec):
    """``(field, value, needed)`` of the first field that keeps the shipped
    weights from fitting ``spec``, or None when they fit."""
    for field, needed in ARCHITECTURE.items():
        value = getattr(spec, field)
        if value != needed:
            return field, value, needed
    return None


@lru_cache(maxsize=1)
def shipped_weights():
    """The shipped weights: ``{layer name: tuple of float32 arrays}``."""
    path = resources.files(__package__).joinpath("_weights", f"{WEIGHTS}.npz")
    with path.open("rb") as f:
        return read_weights(f)


def read_weights(file):
    """``{layer name: tuple of arrays}`` (read-only) from a file
    :func:`layer_weights` wrote."""
    with np.load(file, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    counts = {layer: 0 for layer in shipped_layers()}
    for key in arrays:
        counts[key.rsplit("/", 1)[0]] += 1
    for array in arrays.values():
        array.setflags(write=False)  # shared by every fit in the process
    return MappingProxyType(
        {
            layer: tuple(arrays[f"{layer}/{i}"] for i in range(counts[layer]))
            for layer in shipped_layers()
        }
    )


def shipped_record():
    """How the shipped weights were made (the JSON next to them)."""
    path = resources.files(__package__).joinpath("_weights", f"{WEIGHTS}.json")
    return json.loads(path.read_text())


#: The input kernels of the first encoder LSTMs, which meet the data's
#: features: with more than one feature, they keep their random start.
INPUT_KERNELS = ("encoder_lstm_0", "encoder_backward_lstm_0")


def load_into(model, n_features=1):
    """Set the shipped layers of ``model``, built for a fitting spec with
    ``n_features`` features per step.

    One feature: every shipped layer. More (channels): the encoder's LSTMs
    but for their input kernels, which keep their random start and mix the
    channels into the pretrained LSTMs' gates; the decoder, which must tell
    the channels apart, starts at random too. Measured by
    ``benchmarks/pretrained_cv.py`` (3-fold CV, weights made without the
    set) against other starts: the pretrained input kernel repeated per
    channel (the encoder reading the channels' scaled sum or mean as its one
    series) lost JapaneseVowels accuracy, and the pretrained decoder with
    its output layer repeated per channel lost CardanoSentiment RMSE.
    """
    weights = shipped_weights()
    for name in shipped_layers():
        layer = model.get_layer(name)
        if n_features == 1:
            layer.set_weights(weights[name])
        elif name.startswith("encoder"):
            new = list(weights[name])
            if name in INPUT_KERNELS:
                new[0] = layer.get_weights()[0]
            layer.set_weights(new)


def layer_weights(model):
    """``{"layer/i": array}`` of the shipped layers, as the weights file holds them."""
    return {
        f"{name}/{i}": np.asarray(w, np.float32)
        for name in shipped_layers()
        for i, w in enumerate(model.get_layer(name).get_weights())
    }


def pretraining_sequences(
    *,
    seed,
    min_length,
    max_length,
    per_set,
    per_sequence,
    windows,
    synthetic=0,
    exclude=(),
):
    """The univariate sequences of a pretraining recipe (:data:`RECIPE`
    made the shipped weights).

    Every channel of every training sequence of the bundled classification
    and regression sets (:func:`skseqae.datasets.list_datasets`; test splits
    are never read), and ``windows`` windows of the training part of each
    bundled long series (:func:`skseqae.datasets.list_series`). A sequence
    longer than ``max_length`` gives ``per_sequence`` random windows of
    ``min_length`` to ``max_length`` steps; each set gives at most
    ``per_set`` sequences (a random subset); each sequence is z-normalized
    on its own, and constant ones and ones under 8 steps are left out. Sets
    named in ``exclude`` are left out (to measure the weights on a set they
    never saw). Then ``synthetic`` series of ``min_length`` to
    ``max_length`` steps from :func:`skseqae._synthetic.synthetic_series`
    (Gaussian-process kernel compositions, ARMA processes and piecewise
    shapes), seeded by ``(seed, 1)`` so that they do not depend on which
    sets are left out.

    Returns
    -------
    list of ndarray of shape (T_i, 1), float32
    """
    from ._synthetic import synthetic_series
    from .datasets import list_datasets, list_series, load_dataset, load_series

    rng = np.random.default_rng(seed)

    def window(x):
        n = int(rng.integers(min_length, max_length + 1))
        start = int(rng.integers(0, len(x) - n + 1))
        return x[start : start + n]

    out = []
    for name in list_datasets():
        if name in exclude:
            continue
        picked = []
        for sequence in load_dataset(name, layout="list")[0]:
            for x in np.asarray(sequence, np.float64).T:
                if len(x) > max_length:
                    picked += [window(x) for _ in range(per_sequence)]
                else:
                    picked.append(x)
        if len(picked) > per_set:
            picked = [picked[i] for i in rng.permutation(len(picked))[:per_set]]
        out += picked
    for name in list_series():
        if name in exclude:
            continue
        X, _, train_end = load_series(name)
        for x in np.asarray(X[:train_end], np.float64).T:
            out += [window(x) for _ in range(windows)]
    out += synthetic_series(
        synthetic, seed=(seed, 1), min_length=min_length, max_length=max_length
    )
    return [
        ((x - x.mean()) / x.std()).astype(np.float32)[:, None]
        for x in out
        if len(x) >= 8 and x.std() > 1e-8 * max(1.0, np.abs(x).max())
    ]
