"""Machinery shared by the autoencoders: parameters, fit, seeding, persistence.

A subclass says what differs (its Keras architecture, its training targets
and how it scores) through four hooks: ``_network_spec``, ``_training_data``,
``_loss_weights`` and ``_score_errors``. Everything else (validation,
seeding, scaling, the fit loop, inference) is written once, here. The
compiled functions live in ``_compiled``, not in the estimator; pickling and
``save`` go through ``_persistence``, which stores the Keras networks as a
spec and arrays and rebuilds them on loading.
"""

import contextlib
from abc import abstractmethod
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted

from ._sequences import restore_layout, to_sequences

#: Activations accepted by name (Keras names).
ACTIVATIONS = {"tanh", "relu", "sigmoid", "elu", "selu", "gelu", "softsign", "linear"}
OPTIMIZERS = {"adam", "adamw", "nadam", "rmsprop", "sgd"}
ENCODINGS = {"last", "mean", "max", "mean_max", "last_mean_max"}


class _BaseSequenceAutoencoder(
    TransformerMixin, ClassNamePrefixFeaturesOutMixin, BaseEstimator
):
    """Base class of the LSTM autoencoders. Not for direct use.

    Both autoencoders are transformers (``transform`` gives the encoder's
    features), so the mixin lives here, where ``transform`` is defined and
    ``set_output`` can wrap it.
    """

    _parameter_constraints = {
        "units": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "encoding": [StrOptions(ENCODINGS)],
        "activation": [StrOptions(ACTIVATIONS)],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(OPTIMIZERS), HasMethods(["get_config", "apply"])],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "callbacks": [list, tuple, None],
        "shuffle": ["boolean"],
        "scale": ["boolean"],
        "random_state": ["random_state"],
        "verbose": [Interval(Integral, 0, 2, closed="both"), "boolean"],
    }

    def __init__(
        self,
        *,
        units,
        encoding,
        activation,
        epochs,
        batch_size,
        learning_rate,
        optimizer,
        dropout,
        validation_fraction,
        patience,
        callbacks,
        shuffle,
        scale,
        random_state,
        verbose,
    ):
        self.units = units
        self.encoding = encoding
        self.activation = activation
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.dropout = dropout
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.callbacks = callbacks
        self.shuffle = shuffle
        self.scale = scale
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, **fit_params):
        """Fit the autoencoder to sequences ``X``.

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_timesteps[, n_features]), \
                or list of array-like
            Training sequences: a 3-D array (trailing all-NaN steps are
            padding), a 2-D array or DataFrame of univariate sequences (one
            per row), or a list of arrays of shape (T_i, n_features) or
            (T_i,) of different lengths.
        y : Ignored
            Accepted for Pipeline compatibility (class labels are ignored).
        **fit_params : dict
            Subclass-specific training inputs (see the subclass).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        with _unchanged_on_error(self):
            from ._models import build_networks
            from ._training import train

            units = self._check_units()
            seqs = to_sequences(self, X, reset=True)
            data = self._training_data(seqs, **fit_params)
            spec = self._network_spec(seqs.n_features, units)
            rng = self._random_generator()
            n_timesteps = data.inputs.shape[1]
            seed = int(rng.integers(2**31 - 10**4))
            networks = build_networks(spec, seed, n_timesteps)
            networks.set_scaling(*self._scaling(seqs))
            self.history_, self.n_iter_ = train(
                networks, spec, data, self._fit_settings(), rng, type(self).__name__
            )
            self.model_ = networks.model
            self.encoder_ = networks.encoder
            self._decoders = networks.decoders
            self._spec = spec
            self.n_timesteps_ = n_timesteps
        return self

    def _check_units(self):
        units = (self.units,) if isinstance(self.units, Integral) else tuple(self.units)
        if not units or not all(
            isinstance(u, Integral) and not isinstance(u, bool) and u >= 1
            for u in units
        ):
            raise ValueError(
                f"The 'units' parameter of {type(self).__name__} must be an int "
                ">= 1 or a non-empty tuple of them (one per stacked LSTM), got "
                f"{self.units!r}."
            )
        return tuple(int(u) for u in units)

    def _random_generator(self):
        # Never touch NumPy's global generator: None means fresh OS entropy.
        if self.random_state is None:
            return np.random.default_rng()
        seed = check_random_state(self.random_state).randint(2**31 - 1)
        return np.random.default_rng(seed)

    def _scaling(self, seqs):
        n_features = seqs.n_features
        if not self.scale:
            return np.zeros(n_features, np.float32), np.ones(n_features, np.float32)
        steps = seqs.values.reshape(-1, n_features)
        steps = steps[~np.isnan(steps).all(axis=1)].astype(np.float64)
        mean, std = steps.mean(axis=0), steps.std(axis=0)
        std[std < 1e-8 * np.maximum(1.0, np.abs(mean))] = 1.0
        return mean.astype(np.float32), std.astype(np.float32)

    def _fit_settings(self):
        from ._training import FitSettings

        return FitSettings(
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=float(self.learning_rate),
            optimizer=self.optimizer,
            loss_weights=self._loss_weights(),
            validation_fraction=self.validation_fraction,
            patience=self.patience,
            shuffle=self.shuffle,
            callbacks=tuple(self.callbacks or ()),
            verbose=int(self.verbose),
        )

    # --------------------------------------------------------- subclass hooks

    @abstractmethod
    def _network_spec(self, n_features, units):
        """The NetworkSpec to build for data with ``n_features`` per step."""

    @abstractmethod
    def _training_data(self, seqs, **fit_params):
        """The TrainingData (inputs and targets) for validated ``seqs``."""

    @abstractmethod
    def _loss_weights(self):
        """One weight per model output."""

    @abstractmethod
    def _score_errors(self, seqs):
        """Per-sequence mean squared errors (float64) that score_samples negates."""

    # --------------------------------------------------------- fitted methods

    def transform(self, X):
        """Encode each sequence into one feature vector.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, in any layout ``fit`` accepts. 3-D and list inputs may
            be longer or shorter than the training sequences.

        Returns
        -------
        features : ndarray of shape (n_sequences, n_features_out), float64
            The encoder's code for each sequence (see ``encoding``; computed
            in float32, returned as float64 like scikit-learn's transformers).
        """
        seqs = self._validated(X)
        from ._compiled import architecture

        encode = partial(architecture(self._spec).encode, self.encoder_)
        return self._chunked(encode, seqs)[0].astype(np.float64)

    def reconstruct(self, X):
        """Reconstruct each sequence through the encoder and decoder.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, in any layout ``fit`` accepts.

        Returns
        -------
        reconstructions : ndarray or list of ndarray
            In the layout of ``X``: a list of arrays with each sequence's own
            length for list input; NaN at the padded steps of padded input.
        """
        seqs = self._validated(X)
        reconstruction = _pad_time(self._reconstruct(seqs), seqs.width)
        return restore_layout(reconstruction, seqs.lengths, seqs.layout)

    def inverse_transform(self, X):
        """Decode feature vectors back into sequences.

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_features_out)
            Feature vectors, as returned by :meth:`transform`.

        Returns
        -------
        sequences : ndarray of shape (n_sequences, n_timesteps_[, n_features])
            Sequences of the longest training length (``n_timesteps_``);
            2-D if the estimator was fitted on 2-D input.
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=np.float32)
        if Z.shape[1] != self._n_features_out:
            raise ValueError(
                f"{type(self).__name__}.inverse_transform expected "
                f"{self._n_features_out} features per vector (the output size of "
                f"transform), got {Z.shape[1]}."
            )
        decoded = np.asarray(self._decoders["reconstruction"](Z, training=False))
        return decoded[:, :, 0] if self._fit_layout == "tabular" else decoded

    def score_samples(self, X):
        """Negative mean squared error of each sequence (higher = more normal).

        Errors are averaged over each sequence's real time steps and
        features, in the data's units, and computed in float64.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, in any layout ``fit`` accepts.

        Returns
        -------
        scores : ndarray of shape (n_sequences,)
        """
        return -self._score_errors(self._validated(X))

    def score(self, X, y=None):
        """Negative mean squared error over all sequences (higher is better).

        With no scorer, ``GridSearchCV`` tunes the autoencoder on this.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, in any layout ``fit`` accepts.
        y : Ignored
            Accepted for Pipeline compatibility.

        Returns
        -------
        score : float
            The mean of :meth:`score_samples`.
        """
        return float(np.mean(self.score_samples(X)))

    # ---------------------------------------------------------------- helpers

    def _validated(self, X):
        check_is_fitted(self)
        return to_sequences(self, X, reset=False)

    def _run_model(self, seqs):
        """All outputs of ``model_`` (reconstruction first), NaN-padded."""
        from ._compiled import architecture

        predict = partial(architecture(self._spec).predict, self.model_)
        return self._chunked(predict, seqs)

    def _chunked(self, fn, seqs):
        from ._inference import run_chunked, step_budget

        return run_chunked(fn, seqs, step_budget(self._spec.units))

    def _reconstruct(self, seqs):
        return self._run_model(seqs)[0]

    @property
    def _n_features_out(self):
        return self._spec.code_size

    @property
    def decoder_(self):
        """Standalone Keras decoder from feature vectors to sequences."""
        return self._decoders["reconstruction"]

    # ------------------------------------------------------------ persistence

    def save(self, path):
        """Save the fitted estimator to one file, safe to load anywhere.

        The file (a zip archive) holds the parameters and fitted attributes
        as JSON and NumPy arrays, the autoencoder in Keras' ``.keras`` format
        and the versions of skseqae, Keras and TensorFlow that wrote it.
        Load it with :func:`skseqae.load`, which executes no pickled code.
        The file is written next to ``path`` and renamed into place, so an
        interrupted save never leaves a partial file under ``path``.

        Parameters that are objects are stored through Keras serialization
        when it can (an optimizer instance); others (Keras' built-in
        callbacks, a ``RandomState``) are left out with a warning naming
        them, and the loaded estimator has their default values.

        Parameters
        ----------
        path : str or path-like
            Where to write the file (replaced if it exists).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the estimator is not fitted.

        See Also
        --------
        skseqae.load : Load a saved estimator.
        """
        from ._persistence import save

        save(self, path)

    def __getstate__(self):
        # Plain values only (the networks as a spec and arrays), so that
        # pickle, joblib and skops need no Keras object to load.
        from ._persistence import portable_state

        return portable_state(self, super().__getstate__())

    def __setstate__(self, state):
        from ._persistence import restore_networks, split_networks

        state, networks = split_networks(state)
        super().__setstate__(state)
        restore_networks(self, networks)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = False  # NaN only as trailing padding
        tags.target_tags.required = False
        return tags


def _pad_time(values, n_steps):
    """NaN-pad the time axis to ``n_steps`` (outputs stop at the longest input)."""
    extra = n_steps - values.shape[1]
    return np.pad(values, ((0, 0), (0, extra), (0, 0)), constant_values=np.nan)


def sequence_mse(predicted, target, lengths):
    """Per-sequence mean squared error over real steps and features, float64."""
    steps = min(predicted.shape[1], target.shape[1])
    diff = predicted[:, :steps].astype(np.float64) - target[:, :steps]
    mask = np.arange(steps)[None, :] < np.asarray(lengths)[:, None]
    sq = np.where(mask[:, :, None], np.square(np.nan_to_num(diff)), 0.0)
    return sq.sum(axis=(1, 2)) / (np.asarray(lengths) * predicted.shape[2])


@contextlib.contextmanager
def _unchanged_on_error(estimator):
    """Restore ``estimator.__dict__`` if the body raises: failed fits change nothing."""
    saved = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        raise
