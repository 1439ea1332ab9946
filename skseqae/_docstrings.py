"""The autoencoders' shared parameter and attribute text, written once.

Both estimators take the same network and training parameters; their
docstrings hold a marker line where these entries go, and
:func:`shared_docs` fills it in when the class is defined (skorch composes
its nets' docstrings the same way). Each entry's default is read from the
class's own ``__init__``, so text and signature cannot disagree, and a
class may add sentences of its own to an entry (``extra``). The result is
plain numpydoc: ``skseqae._adapter.parameters_doc`` reads the transformer's
``Parameters`` section from it word for word.
"""

import inspect
import textwrap

#: Marker lines in a class docstring, replaced by the shared entries.
PARAMETERS_MARKER = "[shared parameters]"
ATTRIBUTES_MARKER = "[shared attributes]"

#: numpydoc entries of the shared parameters, in ``__init__`` order;
#: ``{default}`` becomes the class's default.
PARAMETERS = {
    "units": """\
units : int or tuple of int, default={default}
    Size of the encoder's LSTM, or the sizes of stacked LSTMs from first
    to last; the decoders mirror them. With the default ``encoding`` and
    ``bidirectional`` the code has ``6 * units[-1]`` features. Raise it
    for data with many classes or complex shapes, lower it to train
    faster; the pretrained weights fit ``units=64`` only.""",
    "encoding": """\
encoding : {{"last_mean_max", "mean_max", "last", "mean", "max"}}, \
        default={default}
    How the last encoder LSTM's hidden states over a sequence's real
    steps become its code: the vector the decoders rebuild the sequence
    from, and what ``transform`` returns. ``"last"`` is the state at the
    last real step (``units`` features, the seed tutorial's encoder);
    ``"mean"`` and ``"max"`` pool over time (``units`` features each);
    ``"mean_max"`` joins both and ``"last_mean_max"`` all three
    (``3 * units`` features, twice that with ``bidirectional``). The
    default gave the best cross-validated features on the bundled data
    sets; ``"last"`` gives a smaller code.""",
    "bidirectional": """\
bidirectional : bool, default={default}
    Also read each sequence backwards, from its last real step to its
    first, with a second LSTM per encoder layer; the code joins both
    directions' summaries (twice the features, about 1.5 times the
    training time). Set False to train faster, or for the seed
    tutorial's forward-only encoder.""",
    "max_steps": """\
max_steps : int or None, default={default}
    Longest sequence the LSTMs read. When the longest training sequence
    (``n_timesteps_``) is longer, every sequence is averaged over windows
    of ``ceil(n_timesteps_ / max_steps)`` steps before the encoder (the
    same windows in every later call), and the reconstruction, made at
    that coarser resolution, is repeated back to each input's own length
    and layout. None reads every step. Raise it, or pass None, when
    detail at the full resolution matters more than training time; lower
    it to train faster on long sequences.""",
    "window_pooling": """\
window_pooling : {{"auto", "mean_max", "mean", "max", "mean_std", \
        "mean_max_std"}} or None, default={default}
    What sequences longer than ``max_steps`` keep of their detail. After a
    fit that averages (``n_timesteps_ > max_steps``), ``transform`` can also
    cut each sequence into consecutive windows as long as the averaged
    training sequences (their lengths differ by one step at most), have the
    same encoder read each window at full resolution, and add the
    statistics named here of the window codes (mean, maximum and/or
    standard deviation over the windows, each as many features as the
    code) after the averaged sequence's code: ``"mean_max"`` features are
    three times the code, for any input length. ``"auto"`` means
    ``"mean_max"`` where training sequences are at least ``2 * max_steps +
    1`` steps long (averaged by 3 or more) and None below. None keeps the
    averaged code alone: ``transform`` runs about twice as fast on long
    sequences, and the model exports to ONNX (:func:`skseqae.to_onnx`
    refuses window codes). A fit on sequences of at most ``max_steps``
    steps has no windows and ignores this; training never changes.""",
    "activation": """\
activation : str, default={default}
    Activation of every LSTM, by Keras name: ``"tanh"``, ``"sigmoid"``,
    ``"softsign"`` (bounded), or ``"relu"``, ``"elu"``, ``"selu"``,
    ``"gelu"``, ``"linear"`` (unbounded). ``"tanh"`` runs TensorFlow's
    fused LSTM kernel on a CPU, the fastest path. With an unbounded
    activation (``"relu"`` is the seed tutorial's) every LSTM clips its
    cell state to [-5, 5], as TensorFlow's ``cell_clip``, so that
    training stays stable; such models do not export to ONNX
    (:func:`skseqae.to_onnx`). Keep the default unless you reproduce a
    model that used another.""",
    "pretrained": """\
pretrained : "auto" or bool, default={default}
    Start training from weights pretrained on many univariate series
    (shipped with the package, made by ``scripts/pretrain_encoder.py``)
    instead of random ones, so that the features do not depend on one
    small data set alone. They fit ``units=64``, ``activation="tanh"``,
    ``encoding="last_mean_max"``, ``bidirectional=True`` and
    ``scale`` other than False, with any number of features: for
    multivariate sequences the encoder starts from them but for its input
    weights, which mix the features, and the decoder starts at random.
    ``"auto"`` uses them where
    they fit and random weights elsewhere; ``True`` requires them (a
    ``ValueError`` says which parameter keeps them from fitting);
    ``False`` never uses them. ``pretrained_`` says what a fit did. With
    ``epochs=0`` the pretrained network is used as it is. A fit that
    continues (``warm_start``) keeps its weights: a changed
    ``pretrained`` applies to the next fresh fit.""",
    "epochs": """\
epochs : int, default={default}
    Maximum number of passes over the training data; early stopping
    (``patience``) usually ends training sooner. 0 trains nothing: the
    features are those of the initial network (pretrained or random), no
    callback is called and ``history_`` stays empty.""",
    "batch_size": """\
batch_size : int or "auto", default={default}
    Sequences per gradient step. ``"auto"`` is
    ``min(32, max(1, n_train // 8))``, ``n_train`` being the sequences
    left after the validation split (for ``partial_fit``, the chunk's
    sequences): 32 from 256 sequences up, and below that small enough for
    at least 8 steps per epoch, so that small data sets get enough
    optimizer steps to learn. A larger batch trains more sequences per
    second with fewer updates per epoch.""",
    "learning_rate": """\
learning_rate : float, default={default}
    Step size of the optimizer (ignored when ``optimizer`` is an
    instance, which carries its own). Lower it if the loss jumps about,
    raise it if training is slow to improve.""",
    "optimizer": """\
optimizer : {{"adam", "adamw", "nadam", "rmsprop", "sgd"}} or \
        keras.optimizers.Optimizer, default={default}
    Optimizer by Keras name, or an instance whose configuration is copied
    (the instance itself is never modified): pass one for clipping,
    weight decay or a schedule. A plain Adam updates each weight with one
    fused TensorFlow op: Keras' formulas, to float32 round-off.""",
    "dropout": """\
dropout : float, default={default}
    Fraction of each LSTM's inputs dropped while training, to regularize
    networks that overfit a small data set.""",
    "validation_fraction": """\
validation_fraction : float or None, default={default}
    Fraction of the training sequences held out to monitor the
    reconstruction loss for early stopping. When it would hold out no
    sequence (fewer than ``1 / validation_fraction`` sequences) or is
    None, the training loss is monitored instead.""",
    "patience": """\
patience : int or None, default={default}
    Stop after this many epochs without improvement of the monitored
    loss, and restore the best weights. None trains all ``epochs``.""",
    "callbacks": """\
callbacks : list of keras.callbacks.Callback, default={default}
    Called as in Keras' ``model.fit``: at the start and end of training,
    of each epoch and of each batch, with logs ``loss`` (and
    ``val_loss``); setting ``model.stop_training`` ends training. Their
    ``model`` is the estimator's own ``model_`` with its standardization
    in place and, while training, its optimizer, so
    ``LearningRateScheduler``, ``ReduceLROnPlateau``,
    ``ModelCheckpoint``, ``CSVLogger``, ``EarlyStopping`` and
    ``TensorBoard`` work.""",
    "shuffle": """\
shuffle : bool, default={default}
    Shuffle the sequences each epoch (with the estimator's own random
    generator). Batches group sequences of similar length.""",
    "scale": """\
scale : "auto", "sequence" or bool, default={default}
    How the network's input is scaled. ``True``: standardize each feature
    (mean 0, standard deviation 1 over all training steps) inside the
    model. The loss is measured in these units, so features on different
    scales count alike and unscaled data trains stably; outputs come back
    in the data's units. The mean is subtracted in float64 before the
    cast to float32, so data far from zero relative to its spread
    (``1e6 + 0.01 * x``) keeps its precision. ``"sequence"``: standardize
    each sequence's features by its own mean and standard deviation
    (the future of the composite by its context's), so that the network
    reads every sequence's shape at one size, however the sizes differ;
    ``transform`` adds each sequence's level and size as features (see
    there), reconstructions and forecasts are scaled back, and
    ``score_samples`` stays in the data's units. ``"auto"``: ``"sequence"``
    where, in some feature, the training sequences' standard deviations
    span more than two orders of magnitude (90th percentile over 10th),
    which dataset-wide standardization would squash to near zero for the
    small ones, else ``True``; ``sequence_scaling_`` says which.
    ``False``: the network reads the values as they are, in float32: only
    for data already on a common scale.""",
    "random_state": """\
random_state : int, RandomState instance or None, default={default}
    Seeds weight initialisation, dropout, the validation split and
    shuffling. With an int, refitting gives the same model on the same
    machine and TensorFlow build. Global random state is never used or
    changed.""",
    "verbose": """\
verbose : int, default={default}
    0 prints nothing, 1 shows a progress bar per epoch, 2 one line per
    epoch.""",
    "warm_start": """\
warm_start : bool, default={default}
    When True and the estimator is fitted with the same architecture
    (the parameters that shape the network, the number of features),
    ``fit`` continues from the current weights and optimizer state
    instead of starting afresh: ``n_iter_`` adds up and ``history_``
    grows. The scaling statistics of the first fit are kept. Otherwise
    ``fit`` starts afresh (scikit-learn's convention).""",
}

#: numpydoc entries of the attributes every autoencoder has after ``fit``.
ATTRIBUTES = {
    "n_iter_": """\
n_iter_ : int
    Number of epochs run.""",
    "sequence_scaling_": """\
sequence_scaling_ : bool
    Whether the fit standardizes each sequence on its own (see
    ``scale``).""",
    "pretrained_": """\
pretrained_ : bool
    Whether the fit started from the pretrained weights (see
    ``pretrained``).""",
    "n_features_in_": """\
n_features_in_ : int
    Features per time step for 3-D and list input; number of columns
    (time steps) for 2-D input, as scikit-learn defines it.""",
    "feature_names_in_": """\
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Column names, when fitted on a DataFrame of string column names.""",
}


def shared_docs(extra=None):
    """Class decorator: fill the docstring's marker lines with the shared entries.

    Parameters
    ----------
    extra : dict of str to str, default=None
        Sentences a class adds to a shared entry, by parameter name.
    """
    extra = extra or {}

    def decorate(cls):
        signature = inspect.signature(cls.__init__)
        entries = [
            _entry(PARAMETERS[name], _default(signature, name), extra.get(name))
            for name in PARAMETERS
        ]
        doc = _fill(cls.__doc__, PARAMETERS_MARKER, entries)
        cls.__doc__ = _fill(doc, ATTRIBUTES_MARKER, ATTRIBUTES.values())
        return cls

    return decorate


def _default(signature, name):
    value = signature.parameters[name].default
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _entry(text, default, extra):
    text = text.format(default=default)
    if extra:
        text += "\n" + textwrap.indent(inspect.cleandoc(extra), "    ")
    return text


def _fill(doc, marker, entries):
    """``doc`` with its ``marker`` line replaced by ``entries``, indented alike."""
    for line in doc.splitlines():
        if line.strip() == marker:
            indent = line[: len(line) - len(line.lstrip())]
            block = "\n".join(textwrap.indent(e, indent) for e in entries)
            return doc.replace(line, block, 1)
    raise ValueError(f"docstring has no {marker!r} line")
