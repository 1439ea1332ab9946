"""CompositeLSTMAutoencoder: one encoder, a reconstruction and a future decoder."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import _BaseSequenceAutoencoder, sequence_mse
from ._docstrings import shared_docs
from ._sequences import as_sequences, split_future
from ._state import boolean, register


@register
@shared_docs(
    extra={
        "encoding": """
            For forecasting keep the last state in the code (``"last"`` or
            ``"last_mean_max"``): it knows where the sequence ended.
        """,
        "max_steps": """
            It bounds the context the encoder reads; the future decoder
            always predicts ``n_future`` steps at the data's own resolution.
        """,
        "pretrained": """
            Here they start the encoder and the reconstruction decoder (the
            future decoder always starts from random weights; for
            multivariate data the encoder only) and also need
            ``reverse_reconstruction=False`` and ``conditional=False``. Off
            by default: the forecasts have not been evaluated with them.
        """,
    }
)
class CompositeLSTMAutoencoder(_BaseSequenceAutoencoder):
    """LSTM autoencoder that reconstructs its input and predicts what follows.

    The composite model of Srivastava, Mansimov and Salakhutdinov,
    "Unsupervised Learning of Video Representations using LSTMs" (ICML
    2015): one encoder LSTM reads a sequence into a vector; one decoder
    reconstructs the sequence from it, another predicts the ``n_future``
    steps that follow. Having to predict the future makes the encoder
    capture the dynamics, not only the shape, and the future decoder is a
    forecaster in its own right (:meth:`predict`).

    In :meth:`fit`, each training sequence of length ``T`` is split into a
    context (its first ``T - n_future`` real steps, which the encoder reads
    and the first decoder reconstructs) and a future (its last ``n_future``
    real steps, which the second decoder predicts). Nothing else is needed;
    labels passed as ``y`` are ignored. To train on explicit future targets
    instead, pass them as ``fit(X, future=...)``. :meth:`score_samples` and
    :meth:`score` score the task that was fitted: split sequences after
    ``fit(X)``, given futures (``score(X, future=F)``) after
    ``fit(X, future=F)``.

    Parameters
    ----------
    n_future : int, default=1
        Forecast horizon: the number of steps the future decoder predicts,
        and in ``fit(X)`` the number of last steps of each sequence held out
        as its future. Set it to the horizon you need.
    future_weight : float, default=1.0
        Weight of the future-prediction loss relative to the reconstruction
        loss (both are mean squared errors of standardized values). Raise it
        when the forecasts matter more than the reconstruction; 0 trains the
        encoder on reconstruction alone.
    reverse_reconstruction : bool, default=False
        Reconstruct the context back to front, as the paper does (the last
        steps the encoder read come first). Outputs are always returned in
        natural order. Keep False unless you reproduce the paper: it did not
        improve forecasts or features in ``benchmarks/composite_options.py``.
    conditional : bool, default=False
        Feed each decoder its own previous output at every step (the paper's
        conditional decoder). The unconditioned decoder sees only the code
        and runs TensorFlow's fused LSTM kernel; the conditional one trains
        the slowest, did not improve forecasts or features in
        ``benchmarks/composite_options.py``, and does not export to ONNX.
    [shared parameters]

    Attributes
    ----------
    model_ : keras.Model
        The whole network: sequences to ``[reconstruction, future]``.
    encoder_ : keras.Model
        Standalone encoder: sequences to feature vectors (the data as it
        is, standardized in float32; see
        :class:`LSTMAutoencoderTransformer`).
    decoder_ : keras.Model
        Standalone reconstruction decoder: feature vectors to sequences of
        ``n_timesteps_`` steps.
    future_decoder_ : keras.Model
        Standalone future decoder: feature vectors to ``n_future`` steps.
    history_ : dict of list of float
        Per-epoch ``loss`` (the weighted sum), ``reconstruction_loss`` and
        ``future_loss``, and their ``val_`` versions when validating.
    n_timesteps_ : int
        Length of the longest training context.
    [shared attributes]

    See Also
    --------
    LSTMAutoencoderTransformer : The reconstruction-only autoencoder.

    Examples
    --------
    >>> import numpy as np
    >>> from skseqae import CompositeLSTMAutoencoder
    >>> t = np.arange(30)
    >>> X = np.sin(0.3 * (t[None, :] + np.arange(10)[:, None]))
    >>> model = CompositeLSTMAutoencoder(n_future=3, units=4, epochs=2,
    ...                                  random_state=0).fit(X)
    >>> model.predict(X).shape
    (10, 3)
    >>> model.transform(X).shape
    (10, 24)
    """

    _parameter_constraints = {
        **_BaseSequenceAutoencoder._parameter_constraints,
        "n_future": [Interval(Integral, 1, None, closed="left")],
        "future_weight": [Interval(Real, 0, None, closed="left")],
        "reverse_reconstruction": ["boolean"],
        "conditional": ["boolean"],
    }
    _fitted_attributes = {
        **_BaseSequenceAutoencoder._fitted_attributes,
        "_fit_with_future": boolean(),
    }
    _legacy_defaults = {
        **_BaseSequenceAutoencoder._legacy_defaults,
        "_fit_with_future": False,
    }

    def __init__(
        self,
        *,
        n_future=1,
        future_weight=1.0,
        reverse_reconstruction=False,
        conditional=False,
        units=64,
        encoding="last_mean_max",
        bidirectional=True,
        max_steps=128,
        window_pooling="auto",
        activation="tanh",
        pretrained=False,
        epochs=100,
        batch_size="auto",
        learning_rate=1e-3,
        optimizer="adam",
        dropout=0.0,
        validation_fraction=0.1,
        patience=10,
        callbacks=None,
        shuffle=True,
        scale="auto",
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        super().__init__(
            units=units,
            encoding=encoding,
            bidirectional=bidirectional,
            max_steps=max_steps,
            window_pooling=window_pooling,
            activation=activation,
            pretrained=pretrained,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            optimizer=optimizer,
            dropout=dropout,
            validation_fraction=validation_fraction,
            patience=patience,
            callbacks=callbacks,
            shuffle=shuffle,
            scale=scale,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
        )
        self.n_future = n_future
        self.future_weight = future_weight
        self.reverse_reconstruction = reverse_reconstruction
        self.conditional = conditional

    def fit(self, X, y=None, *, future=None):
        """Fit both decoders on sequences ``X``.

        Parameters
        ----------
        X : array-like of shape (n_sequences, n_timesteps[, n_features]), \
                or list of array-like
            Training sequences, in any layout
            :class:`LSTMAutoencoderTransformer` accepts. Without ``future``,
            each must be at least ``n_future + 1`` steps long.
        y : Ignored
            Accepted for Pipeline compatibility (class labels are ignored).
        future : array-like of shape (n_sequences, n_future[, n_features]) \
                or list of array-like, default=None
            Explicit future targets. Then ``X`` is entirely context (the
            encoder reads and the first decoder reconstructs all of it) and
            ``future[i]`` is what the second decoder learns to predict after
            ``X[i]``: exactly ``n_future`` steps with the features of ``X``.
            In a Pipeline, pass it as ``fit(X, <step>__future=...)``.

        Returns
        -------
        self : CompositeLSTMAutoencoder
            The fitted estimator.
        """
        super().fit(X, future=future)
        self._fit_with_future = future is not None
        return self

    def partial_fit(self, X, y=None, *, future=None):
        """Train both decoders one pass over ``X``, continuing training.

        The first call builds the model and fixes the scaling statistics
        (from its ``X``); each call is one epoch that continues the weights
        and optimizer state (see
        :meth:`LSTMAutoencoderTransformer.partial_fit`).

        Parameters
        ----------
        X : array-like or list of array-like
            A chunk of training sequences, split into context and future as
            in :meth:`fit` unless ``future`` is given.
        y : Ignored
            Accepted for compatibility.
        future : array-like or list of array-like, default=None
            Explicit future targets for this chunk (see :meth:`fit`).

        Returns
        -------
        self : CompositeLSTMAutoencoder
            The updated estimator.
        """
        super().partial_fit(X, future=future)
        self._fit_with_future = future is not None
        return self

    def predict(self, X):
        """Forecast the ``n_future`` steps that follow each sequence.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, in any layout ``fit`` accepts; the encoder reads each
            whole sequence.

        Returns
        -------
        forecast : ndarray or list of ndarray, float64
            (n_sequences, n_future, n_features) for 3-D input,
            (n_sequences, n_future) for 2-D input, a list of
            (n_future, n_features) arrays for list input.
        """
        seqs = self._validated(X)
        lengths = np.full(len(seqs), self.n_future)
        moments = self._sequence_moments(seqs)
        out = self._output(lengths, seqs.layout, self.n_future, moments)
        # Only the encoder and the future decoder run.
        for index, _, (forecast,) in self._chunks(seqs, "future", moments):
            out.put(index, forecast)
        return out.result()

    def score_samples(self, X, future=None):
        """Score each sequence on the task the model was fitted on.

        The score is minus the weighted mean of the reconstruction and the
        forecast errors, as in training:
        ``-(reconstruction_mse + future_weight * forecast_mse) /
        (1 + future_weight)``, each the mean squared error over real steps
        and features, in the data's units (float64). Higher is more normal.

        - Without ``future``, after ``fit(X)``: each sequence is split as in
          ``fit``: the model reads its first ``T - n_future`` steps,
          reconstructs them and forecasts the last ``n_future``.
        - With ``future``: ``X`` is the context, read and reconstructed
          whole, and ``future[i]`` is what follows ``X[i]``, scored against
          the forecast. This is the task of ``fit(X, future=F)``, and works
          after either kind of fit.
        - Without ``future``, after ``fit(X, future=F)``: a ``ValueError``.
          The model was fitted to forecast what follows ``X``, which only
          ``future`` can tell; splitting ``X`` instead would score another
          task. Pass ``future``, or split yourself:
          ``score_samples(X[:, :-n_future], future=X[:, -n_future:])``.

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, in any layout ``fit`` accepts.
        future : array-like of shape (n_sequences, n_future[, n_features]) \
                or list of array-like, default=None
            The steps that follow each sequence of ``X``, as in :meth:`fit`.

        Returns
        -------
        scores : ndarray of shape (n_sequences,)
        """
        return -self._score_errors(self._validated(X), future)

    def score(self, X, y=None, future=None):
        """Mean of :meth:`score_samples` (higher is better).

        With no scorer, ``GridSearchCV`` tunes the model on this. After
        ``fit(X, future=F)``, pass ``future`` here too (with metadata
        routing, ``set_score_request(future=True)``).

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, in any layout ``fit`` accepts.
        y : Ignored
            Accepted for Pipeline compatibility.
        future : array-like or list of array-like, default=None
            See :meth:`score_samples`.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X, future)))

    @property
    def future_decoder_(self):
        """Standalone Keras decoder from feature vectors to the future steps."""
        return self._decoders["future"]

    def _network_spec(self, n_features, units):
        from ._models import NetworkSpec

        return NetworkSpec(
            n_features,
            units,
            self.activation,
            float(self.dropout),
            n_future=self.n_future,
            reverse=self.reverse_reconstruction,
            conditional=self.conditional,
            encoding=self.encoding,
        )

    def _training_data(self, seqs, future=None):
        from ._training import TrainingData

        if future is None:
            context, target = split_future(self, seqs, self.n_future)
        else:
            context, target = seqs, self._explicit_future(seqs, future)
        return TrainingData(context, (context, target))

    def _explicit_future(self, seqs, future):
        """Validate user-given future targets against ``X``; a Sequences."""
        name = type(self).__name__
        target = as_sequences(future, name=f"{name} (future)")
        if target.n_features != seqs.n_features:
            raise ValueError(
                f"{name}: future has {target.n_features} feature(s) per time step "
                f"but X has {seqs.n_features}; they must match."
            )
        if len(target) != len(seqs):
            raise ValueError(
                f"{name}: future has {len(target)} sequences but X has {len(seqs)}; "
                "pass one future per sequence."
            )
        bad = np.flatnonzero(target.lengths != self.n_future)
        if target.width != self.n_future or bad.size:
            got = target.lengths[bad[0]] if bad.size else target.width
            raise ValueError(
                f"{name}: each future must have exactly n_future={self.n_future} "
                f"steps, got {got} (or NaN padding). Set n_future to "
                "the length of your future targets."
            )
        return target

    def _loss_weights(self):
        return (1.0, float(self.future_weight))

    def _score_errors(self, seqs, future=None):
        """Weighted mean of reconstruction and forecast MSEs (see score_samples)."""
        if future is not None:
            context, target = seqs, self._explicit_future(seqs, future)
        elif self._fit_with_future:
            raise ValueError(
                f"{type(self).__name__} was fitted with explicit future targets "
                "(fit(X, future=F)), so it scores the reconstruction of X together "
                "with the forecast of what follows X: pass that as "
                "score_samples(X, future=F) or score(X, future=F). To score by "
                "splitting each sequence instead, pass its last n_future="
                f"{self.n_future} steps as the future: "
                "score_samples(X[:, :-n_future], future=X[:, -n_future:])."
            )
        else:
            context, target = split_future(self, seqs, self.n_future)
        # The future is scaled as its context is (by the context's moments).
        moments = self._sequence_moments(context)
        target = target.shifted(*self._input_shift(context, moments))
        w = float(self.future_weight)
        errors = np.empty(len(seqs))
        for index, inputs, (rec, forecast) in self._chunks(
            context, "autoencoder", moments
        ):
            scale = self._error_scale(moments, index)  # back to the data's units
            rec_error = sequence_mse(rec, inputs, context.lengths[index], scale)
            future_error = sequence_mse(
                forecast, target.batch(index), target.lengths[index], scale
            )
            errors[index] = (rec_error + w * future_error) / (1.0 + w)
        return errors
