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
import warnings
import weakref
from abc import abstractmethod
from dataclasses import replace
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

from ._persistence import Persistent
from ._sequences import LAYOUTS, SequenceOutput, to_sequences
from ._state import (
    any_of,
    array,
    boolean,
    dict_of,
    instance,
    integer,
    keeps_state_on_error,
    list_of,
    one_of,
    optional,
    real,
    record,
    tuple_of,
)
from ._window_codes import POOLINGS, resolve_pooling

#: Activations accepted by name (Keras names).
ACTIVATIONS = {"tanh", "relu", "sigmoid", "elu", "selu", "gelu", "softsign", "linear"}
OPTIMIZERS = {"adam", "adamw", "nadam", "rmsprop", "sgd"}
ENCODINGS = {"last", "mean", "max", "mean_max", "last_mean_max"}
#: ``scale="auto"`` standardizes each sequence on its own where, in some
#: feature, the 90th percentile of the sequences' standard deviations is
#: more than this many times the 10th (two orders of magnitude).
SEQUENCE_SCALE_RANGE = 100.0
#: A sequence's standard deviation is at least this fraction of the data
#: set's (so constant sequences are not divided by 0).
SEQUENCE_STD_FLOOR = 1e-6


class _BaseSequenceAutoencoder(
    Persistent, TransformerMixin, ClassNamePrefixFeaturesOutMixin, BaseEstimator
):
    """Base class of the LSTM autoencoders. Not for direct use.

    Both autoencoders are transformers (``transform`` gives the encoder's
    features), so the mixin lives here, where ``transform`` is defined and
    ``set_output`` can wrap it.
    """

    _parameter_constraints = {
        "units": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "encoding": [StrOptions(ENCODINGS)],
        "bidirectional": ["boolean"],
        "max_steps": [Interval(Integral, 1, None, closed="left"), None],
        "window_pooling": [StrOptions(POOLINGS | {"auto"}), None],
        "activation": [StrOptions(ACTIVATIONS)],
        "pretrained": [StrOptions({"auto"}), "boolean"],
        "epochs": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(OPTIMIZERS), HasMethods(["get_config", "apply"])],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "callbacks": [list, tuple, None],
        "shuffle": ["boolean"],
        "scale": [StrOptions({"auto", "sequence"}), "boolean"],
        "random_state": ["random_state"],
        "verbose": [Interval(Integral, 0, 2, closed="both"), "boolean"],
        "warm_start": ["boolean"],
    }
    #: What a fitted autoencoder holds besides its Keras networks, and of
    #: what type and shape: all that saving, pickling and loading keep.
    _fitted_attributes = {
        "n_features_in_": integer(1),
        "_n_step_features": integer(1),
        "_fit_layout": one_of(*LAYOUTS),
        "n_timesteps_": integer(1),
        "pretrained_": boolean(),
        "history_": dict_of(list_of(real(finite=False))),
        "n_iter_": integer(0),
        "_optimizer_state": optional(
            record(
                key=any_of(instance(str), tuple_of(instance(str), instance(str))),
                values=list_of(array("biuf", ...)),
            )
        ),
        "_offset": array("f", "_n_step_features", finite=True),
        "sequence_scaling_": boolean(),
        # The data set's mean and standard deviation of each feature, to
        # which each sequence's own are compared (with sequence_scaling_).
        "_sequence_reference": optional(array("f", 2, "_n_step_features", finite=True)),
    }
    _optional_attributes = {"feature_names_in_": array("OU", "n_features_in_")}
    #: Values of parameters and attributes that states written before they
    #: existed lack: what those versions did (no pooling, forward encoders,
    #: random initial weights).
    _legacy_defaults = {
        "bidirectional": False,
        "max_steps": None,
        "pretrained": False,
        "warm_start": False,
        "window_pooling": None,
        "pretrained_": False,
        "_optimizer_state": None,
        "sequence_scaling_": False,
        "_sequence_reference": None,
    }

    def __init__(
        self,
        *,
        units,
        encoding,
        bidirectional,
        max_steps,
        window_pooling,
        activation,
        pretrained,
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
        warm_start,
    ):
        self.units = units
        self.encoding = encoding
        self.bidirectional = bidirectional
        self.max_steps = max_steps
        self.window_pooling = window_pooling
        self.activation = activation
        self.pretrained = pretrained
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
        self.warm_start = warm_start

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    @keeps_state_on_error
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
        seqs = to_sequences(self, X, reset=True)
        data = self._training_data(seqs, **fit_params)
        spec = self._spec_for(seqs, data)
        resume = self.warm_start and getattr(self, "_spec", None) == spec
        rng = self._random_generator(self.n_iter_ if resume else 0)
        if not resume:
            self._choose_sequence_scaling(seqs)
            self._build(spec, seqs, data, rng)
        if self.epochs:
            self._train(data, self._fit_settings(), rng)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    @keeps_state_on_error
    def partial_fit(self, X, y=None, **fit_params):
        """Train one pass over ``X``, continuing from the current state.

        The first call builds the model, like ``fit``, and takes the scaling
        statistics (``scale=True``) from its ``X``; they stay fixed after
        that, so that later calls keep training the same function rather
        than a rescaled one. Pass a representative first chunk. Each call
        is one epoch over ``X`` (``epochs``, ``validation_fraction`` and
        ``patience`` do not apply), continuing the weights and the
        optimizer's state (moments, step count) of the previous calls, or of
        a previous ``fit``. ``n_iter_`` counts the passes, ``history_``
        gains one ``loss`` per call, and callbacks see one epoch per call.
        ``batch_size="auto"`` is worked out from each chunk's size (32 for
        chunks of 256 sequences or more).

        Parameters
        ----------
        X : array-like or list of array-like
            A chunk of training sequences, in any layout ``fit`` accepts.
        y : Ignored
            Accepted for compatibility (e.g. dask-ml's ``Incremental``).
        **fit_params : dict
            Subclass-specific training inputs (see the subclass).

        Returns
        -------
        self : object
            The updated estimator.
        """
        first = not hasattr(self, "model_")
        seqs = to_sequences(self, X, reset=first)
        data = self._training_data(seqs, **fit_params)
        rng = self._random_generator(0 if first else self.n_iter_)
        if first:
            self._choose_sequence_scaling(seqs)
            self._build(self._spec_for(seqs, data), seqs, data, rng)
        settings = replace(
            self._fit_settings(), epochs=1, validation_fraction=None, patience=None
        )
        self._train(data, settings, rng)
        return self

    def _spec_for(self, seqs, data):
        n_timesteps = data.n_timesteps
        return replace(
            self._network_spec(seqs.n_features, self._check_units()),
            **self._encoder_options(n_timesteps),
        )

    def _build(self, spec, seqs, data, rng):
        """Fresh networks and training state: the start of a new fit."""
        from ._models import build_networks
        from ._pretrained import load_into, starts_pretrained

        n_timesteps = data.n_timesteps
        pretrained = starts_pretrained(self, spec)
        seed = int(rng.integers(2**31 - 10**4))
        networks = build_networks(spec, seed, n_timesteps)
        if pretrained:
            load_into(networks.model, spec.n_features)
        self._offset, scale = self._scaling(self._network_input(seqs, offset=False))
        # At rest the Keras models take the data as it is (see _centred).
        networks.set_scaling(self._offset.astype(np.float32), scale)
        self.model_ = networks.model
        self.encoder_ = networks.encoder
        self._decoders = networks.decoders
        self._spec = spec
        self.n_timesteps_ = n_timesteps
        self.pretrained_ = pretrained
        self.history_, self.n_iter_, self._optimizer_state = {}, 0, None

    def _train(self, data, settings, rng):
        """Train ``model_`` further; on error, put its weights back."""
        from ._training import train

        before = [v.numpy() for v in self.model_.variables]
        try:
            with _centred(self.model_) as at_rest:
                result = train(
                    self.model_,
                    self._spec,
                    data.shifted(*self._input_shift(data.inputs)),
                    replace(settings, initial_epoch=self.n_iter_),
                    rng,
                    type(self).__name__,
                    self._optimizer_state,
                    at_rest=at_rest,
                )
        except BaseException:
            for variable, value in zip(self.model_.variables, before):
                variable.assign(value)
            raise
        keys = {**self.history_, **result.history}
        self.history_ = {
            k: self.history_.get(k, []) + result.history.get(k, []) for k in keys
        }
        self.n_iter_ += result.n_epochs
        # Plain NumPy arrays (not a live optimizer) so that pickling keeps it.
        self._optimizer_state = result.optimizer_state

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

    def _encoder_options(self, n_timesteps):
        """NetworkSpec fields shared by both autoencoders' encoders."""
        pool = 1 if self.max_steps is None else -(-n_timesteps // self.max_steps)
        return {
            "pool": pool,
            "bidirectional": bool(self.bidirectional),
            # Short data: no windows, so the spec (and features) of a fit
            # that never pools stay what they were without the parameter.
            "window_pooling": resolve_pooling(self.window_pooling, pool),
        }

    def _random_generator(self, stream=0):
        # Never touch NumPy's global generator: None means fresh OS entropy.
        # Continued training (warm_start, partial_fit) draws from stream
        # n_iter_, so that its shuffles differ from the first fit's.
        if self.random_state is None:
            return np.random.default_rng()
        seed = check_random_state(self.random_state).randint(2**31 - 1)
        return np.random.default_rng([seed, stream] if stream else seed)

    def _scaling(self, seqs):
        """The offset (float64) and scale (float32) of each feature.

        With ``scale=True``, the mean and standard deviation over all real
        training steps, computed in float64 one chunk at a time. The offset
        is subtracted in float64 before data is cast to float32 for the
        network (see ``_centred``), so data far from zero relative to its
        spread (``1e6 + 0.01 * x``) keeps its precision. With ``scale=False``
        the network reads the values as they are, in float32: a warning says
        when that loses precision.
        """
        n_features = seqs.n_features
        mean, std = seqs.moments()
        if not self.scale:
            _warn_if_float32_is_coarse(type(self).__name__, mean, std)
            return np.zeros(n_features), np.ones(n_features, np.float32)
        # Constant features (std exactly 0, see Sequences.moments) and spreads
        # float32 cannot hold stay unscaled; any other variation, however
        # small next to the mean, is the data's.
        std[std < np.finfo(np.float32).tiny] = 1.0
        return mean, std.astype(np.float32)

    def _choose_sequence_scaling(self, seqs):
        """Set ``sequence_scaling_`` (and its reference) for a new fit on ``seqs``."""
        use = self.scale == "sequence"
        if self.scale == "auto":
            _, std = seqs.sequence_moments(0.0)
            # Per feature, over the sequences that vary at all.
            spreads = [s[s > 0] for s in std.T if np.count_nonzero(s) >= 2]
            use = any(
                np.percentile(s, 90) > SEQUENCE_SCALE_RANGE * np.percentile(s, 10)
                for s in spreads
            )
        self.sequence_scaling_ = bool(use)
        self._sequence_reference = None
        if use:
            mean, std = seqs.moments()
            std[std < np.finfo(np.float32).tiny] = 1.0
            self._sequence_reference = np.stack([mean, std])

    @staticmethod
    def _error_scale(moments, index):
        """What ``sequence_mse`` multiplies the errors of sequences ``index``
        by (their standard deviations), or None without per-sequence scaling."""
        return None if moments is None else moments[1][index]

    def _sequence_moments(self, seqs):
        """Each sequence's mean and standard deviation per feature (float64,
        shape (n_sequences, n_features) each) where the fit standardizes
        every sequence on its own (``sequence_scaling_``), else None."""
        if not getattr(self, "sequence_scaling_", False):
            return None
        return seqs.sequence_moments(SEQUENCE_STD_FLOOR * self._sequence_reference[1])

    def _input_shift(self, seqs, moments=None, offset=True):
        """``(offset, scale)`` that turn ``seqs`` into what the network reads:
        each feature less ``_offset`` (``offset=False``: not yet known), after
        each sequence's own standardization where the fit does that."""
        shift = self._offset if offset else np.zeros(seqs.n_features)
        if moments is None:
            moments = self._sequence_moments(seqs)
        if moments is None:
            return shift, None
        mean, std = moments
        # ((x - mean) / std - shift) folded into one offset and scale.
        return mean + shift * std, std

    def _network_input(self, seqs, moments=None, offset=True):
        """``seqs`` as the network reads them (see :meth:`_input_shift`)."""
        return seqs.shifted(*self._input_shift(seqs, moments, offset))

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
            Each feature's training mean is subtracted in float64 first, so
            data with a large offset keeps its precision. After a fit on
            sequences longer than ``max_steps``, the statistics of the codes
            of each sequence's windows follow (see ``window_pooling``). With
            ``sequence_scaling_``, each sequence's mean and log standard
            deviation per feature come last (relative to the training
            data's: ``(mean - M) / S`` and ``log(std / S)``), the level and
            size that its standardization took away.
        """
        seqs = self._validated(X)
        moments = self._sequence_moments(seqs)
        features = np.empty((len(seqs), self._n_features_out))
        for index, _, (codes,) in self._chunks(seqs, "encoder", moments):
            features[index, : codes.shape[1]] = codes
        if self._spec.window_pooling is not None:
            from ._window_codes import window_features

            shifted = self._network_input(seqs, moments)
            features[:, self._spec.code_size : self._spec.n_features_out] = (
                window_features(self, shifted)
            )
        if moments is not None:
            features[:, self._spec.n_features_out :] = self._moment_features(*moments)
        return features

    def _moment_features(self, mean, std):
        """The features that say each sequence's level and size (see transform)."""
        reference_mean, reference_std = self._sequence_reference
        return np.hstack(
            [(mean - reference_mean) / reference_std, np.log(std / reference_std)]
        )

    def reconstruct(self, X):
        """Reconstruct each sequence through the encoder and decoder.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, in any layout ``fit`` accepts.

        Returns
        -------
        reconstructions : ndarray or list of ndarray, float64
            In the layout of ``X``: a list of arrays with each sequence's own
            length for list input; NaN at the padded steps of padded input.
        """
        seqs = self._validated(X)
        moments = self._sequence_moments(seqs)
        out = self._output(seqs.lengths, seqs.layout, seqs.width, moments)
        for index, _, (reconstruction,) in self._chunks(
            seqs, "reconstruction", moments
        ):
            out.put(index, reconstruction)
        return out.result()

    def inverse_transform(self, X):
        """Decode feature vectors back into sequences.

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_features_out)
            Feature vectors, as returned by :meth:`transform`. The decoder
            reads the code (the first features); the statistics of window
            codes that ``window_pooling`` adds do not enter the decoding;
            with ``sequence_scaling_``, the last features (each sequence's
            level and size) scale the decoded sequence back.

        Returns
        -------
        sequences : ndarray of shape (n_sequences, n_timesteps_[, n_features])
            Sequences of the longest training length (``n_timesteps_``),
            float64 like :meth:`transform`; 2-D if the estimator was fitted
            on 2-D input. Decoded a chunk of vectors at a time.
        """
        from ._compiled import architecture
        from ._inference import iter_decoded

        check_is_fitted(self)
        Z = check_array(X, dtype=[np.float64, np.float32])
        if Z.shape[1] != self._n_features_out:
            raise ValueError(
                f"{type(self).__name__}.inverse_transform expected "
                f"{self._n_features_out} features per vector (the output size of "
                f"transform), got {Z.shape[1]}."
            )
        n_steps = self.n_timesteps_
        moments = None
        if self.sequence_scaling_:
            reference_mean, reference_std = self._sequence_reference
            f = self._n_step_features
            levels, sizes = Z[:, -2 * f : -f], Z[:, -f:]
            moments = (
                levels * reference_std + reference_mean,
                np.exp(sizes) * reference_std,
            )
        out = self._output(np.full(len(Z), n_steps), "padded", n_steps, moments)
        decode = partial(architecture(self._spec).run, "decoder", self._weights())
        code = Z[:, : self._spec.code_size]  # window statistics are not decoded
        for rows, decoded in iter_decoded(decode, code, n_steps, self._budget()):
            out.put(np.arange(len(Z))[rows], decoded)
        decoded = out.result()
        return decoded[:, :, 0] if self._fit_layout == "tabular" else decoded

    def score_samples(self, X):
        """Negative mean squared error of each sequence (higher = more normal).

        Errors are averaged over each sequence's real time steps and
        features, in the data's units, and computed in float64 one chunk of
        sequences at a time.

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

    def _chunks(self, seqs, part, moments=None):
        """``(index, inputs, outputs)`` of ``part`` (see ``Architecture.run``).

        One length-sorted chunk of ``seqs`` at a time, each feature's offset
        subtracted in float64 (``inputs`` is that float32 chunk, NaN-padded),
        after each sequence's standardization by ``moments``
        (:meth:`_sequence_moments`) where the fit standardizes sequences;
        outputs are float32 and offset-free (see :meth:`_output`).
        """
        from ._compiled import architecture
        from ._inference import iter_chunks

        run = partial(architecture(self._spec).run, part, self._weights())
        return iter_chunks(run, self._network_input(seqs, moments), self._budget())

    def _budget(self):
        from ._inference import step_budget

        return step_budget(self._spec.units, self._n_step_features)

    def _weights(self):
        """Handles of ``model_``'s variables, for ``Architecture.run``.

        The estimator's own methods feed the network each feature minus its
        float64 offset (the training mean), so ``run`` takes the ``mean`` of
        the standardization layers as zero; the standalone Keras models
        keep the training mean (float32) and take the data as it is.

        Cached per model: collecting a Keras model's variables takes longer
        than encoding a short sequence. A fitted model's variables are
        assigned to, never replaced, so the handles stay valid.
        """
        handles = _HANDLES.get(self.model_)
        if handles is None:
            handles = _HANDLES[self.model_] = (
                tuple(v.handle for v in self.model_.trainable_variables),
                tuple(v.handle for v in self.model_.non_trainable_variables),
            )
        return handles

    def _output(self, lengths, layout, width, moments=None):
        """Outputs of the network turned back into the data's units: plus
        ``_offset``, then each sequence's ``moments`` where given."""
        if moments is None:
            return SequenceOutput(
                lengths, layout, width, self._n_step_features, self._offset
            )
        offset, std = self._input_shift(None, moments)
        return SequenceOutput(
            lengths, layout, width, self._n_step_features, None, (offset, std)
        )

    @property
    def _n_features_out(self):
        extra = 2 * self._n_step_features if self.sequence_scaling_ else 0
        return self._spec.n_features_out + extra

    @property
    def decoder_(self):
        """Standalone Keras decoder from feature vectors to sequences."""
        return self._decoders["reconstruction"]

    # ------------------------------------------------------------ persistence

    def _check_restored(self, networks):
        # The parameters must build the stored network (see _persistence).
        from ._persistence import attach_networks

        attach_networks(self, networks)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = False  # NaN only as trailing padding
        tags.target_tags.required = False
        return tags


#: ``model_`` -> the resource handles of its variables (see ``_weights``).
_HANDLES = weakref.WeakKeyDictionary()


def _scaling_means(model):
    """The ``mean`` variables of ``model``'s standardization layers."""
    from ._layers import SequenceInput, Unstandardize

    return [
        layer.mean
        for layer in model.layers
        if isinstance(layer, (SequenceInput, Unstandardize))
    ]


def _warn_if_float32_is_coarse(name, mean, std):
    """Warn when float32's resolution near a feature's mean is coarse for its spread."""
    resolution = np.spacing(np.abs(mean).astype(np.float32)).astype(np.float64)
    coarse = np.flatnonzero((std > 0) & (resolution > 1e-3 * std))
    if coarse.size:
        f = coarse[0]
        warnings.warn(
            f"{name} with scale=False reads the data in float32, but feature {f} "
            f"has mean {mean[f]:.6g} and standard deviation {std[f]:.3g}: near its "
            f"values float32 resolves only steps of {resolution[f]:.3g}. Use "
            "scale=True (the default), which subtracts each feature's mean in "
            "float64 first, or subtract an offset yourself.",
            UserWarning,
            stacklevel=4,
        )


@contextlib.contextmanager
def _centred(model):
    """Zero the standardization means of ``model`` for a while (training).

    Training feeds each feature minus the float64 training mean (see
    ``_BaseSequenceAutoencoder._scaling``), so the network's own mean is
    zero meanwhile; afterwards the Keras models take the data as it is again.
    Yields ``at_rest``: a context manager that puts the means back while it
    lasts, under which Keras callbacks run, so that a model they save or
    evaluate mid-fit (``ModelCheckpoint``) is the one the estimator keeps.
    """
    means = _scaling_means(model)
    saved = [v.numpy() for v in means]
    zeros = [np.zeros(v.shape, np.float32) for v in means]

    def assign(values):
        for v, value in zip(means, values):
            v.assign(value)

    @contextlib.contextmanager
    def at_rest():
        assign(saved)
        try:
            yield
        finally:
            assign(zeros)

    assign(zeros)
    try:
        yield at_rest
    finally:
        assign(saved)


def sequence_mse(predicted, target, lengths, scale=None):
    """Per-sequence mean squared error over real steps and features, float64.

    ``scale`` (n_sequences, n_features), if given, multiplies each
    sequence's differences: errors of per-sequence standardized outputs
    back in the data's units (see ``_BaseSequenceAutoencoder._sequence_moments``).
    """
    steps = min(predicted.shape[1], target.shape[1])
    diff = predicted[:, :steps].astype(np.float64) - target[:, :steps]
    if scale is not None:
        diff = diff * scale[:, None, :]
    mask = np.arange(steps)[None, :] < np.asarray(lengths)[:, None]
    sq = np.where(mask[:, :, None], np.square(np.nan_to_num(diff)), 0.0)
    return sq.sum(axis=(1, 2)) / (np.asarray(lengths) * predicted.shape[2])
