"""CompositeLSTMAutoencoder: one encoder, a reconstruction and a future decoder."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import _BaseSequenceAutoencoder, sequence_mse
from ._sequences import as_sequences, split_future


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
        Forecast horizon: the number of steps the future decoder predicts.
    future_weight : float, default=1.0
        Weight of the future-prediction loss relative to the reconstruction
        loss (both are mean squared errors of standardized values). 0 trains
        the encoder on reconstruction alone.
    reverse_reconstruction : bool, default=False
        Reconstruct the context back to front, as the paper does (the last
        steps the encoder read come first). Outputs are always returned in
        natural order.
    conditional : bool, default=False
        Feed each decoder its own previous output at every step (the paper's
        conditional decoder). The unconditioned decoder sees only the code
        and runs TensorFlow's fused LSTM kernel.

        Both defaults were measured (``benchmarks/composite_options.py``,
        default code): forecast MSE on held-out noisy sine waves relative to
        repeating the last value, 5-fold CV accuracy of a logistic
        regression on GunPoint features, and fit time were 0.010, 0.98 and
        12 s for neither option; 0.011, 0.96, 18 s reversed; 0.011, 0.96,
        28 s conditional; 0.011, 0.96, 20 s both. The paper's options did
        not help here and the conditional decoder is the slowest.
    units : int or tuple of int, default=64
        Size of the encoder LSTM, or sizes of stacked LSTMs; both decoders
        mirror them.
    encoding : {"last_mean_max", "mean_max", "last", "mean", "max"}, \
            default="last_mean_max"
        How the last encoder LSTM's hidden states become the code both
        decoders read and :meth:`transform` returns (see
        :class:`LSTMAutoencoderTransformer`). The default joins the state at
        the last step (which forecasting needs: it knows where the sequence
        ended) with the mean and max over time (which make good features):
        ``3 * units[-1]`` features per direction. Measured on noisy sine
        waves (forecast MSE relative to repeating the last value; lower is
        better) with one direction, and on
        GunPoint (5-fold CV accuracy of a logistic regression on the
        features, training split): "last" 0.21 and 0.68-0.78, "mean_max"
        0.77 and 0.98-1.00, "last_mean_max" 0.12 and 0.98.
    bidirectional : bool, default=True
        Also read each sequence backwards with a second LSTM per encoder
        layer; the code joins both directions (twice the features). See
        :class:`LSTMAutoencoderTransformer` for the measurements.
    max_steps : int or None, default=128
        Longest context the LSTMs read in training: longer contexts are
        averaged over windows of ``ceil(n_timesteps_ / max_steps)`` steps
        before the encoder, and the reconstruction is repeated back to
        each input's length. The future decoder always predicts
        ``n_future`` steps at the data's own resolution. None reads every
        step.
    window_pooling : {"mean_max", "mean", "max", "mean_std", "mean_max_std"} \
            or None, default="mean_max"
        After a fit on contexts longer than ``max_steps``, :meth:`transform`
        also has the encoder read each sequence's consecutive windows (as
        long as the averaged training contexts) at full resolution, and
        joins these statistics of their codes over the windows after the
        averaged code, each as many features as the code. None keeps the
        averaged code alone; fits on shorter contexts have no windows (see
        :class:`LSTMAutoencoderTransformer`).
    activation : str, default="tanh"
        Activation of every LSTM. With an unbounded one (relu, elu, selu,
        gelu, linear) every LSTM clips its cell state to [-5, 5], as
        TensorFlow's ``cell_clip``: with the seed tutorial's relu settings
        on 512 smooth sine waves of 140 steps the loss had spiked to 603,809
        for one seed of 5; clipped, no spike in 5 seeds and a lower final
        loss (see :class:`LSTMAutoencoderTransformer`). Clipped models do
        not export to ONNX.
    pretrained : "auto" or bool, default=False
        Start the encoder and the reconstruction decoder from the weights
        pretrained on univariate series (see
        :class:`LSTMAutoencoderTransformer`; the future decoder always
        starts from random weights). They fit univariate sequences with
        ``units=64``, ``activation="tanh"``, ``encoding="last_mean_max"``,
        ``bidirectional=True``, ``scale=True``,
        ``reverse_reconstruction=False`` and ``conditional=False``. Off by
        default here: the forecasts were not measured with them.
    epochs : int, default=100
        Maximum number of passes over the training data; 0 trains nothing.
    batch_size : int or "auto", default="auto"
        Sequences per gradient step. ``"auto"`` is
        ``min(32, max(1, n_train // 8))`` for the ``n_train`` sequences left
        after the validation split (or in a ``partial_fit`` chunk), so that
        small sets get at least 8 steps per epoch (see
        :class:`LSTMAutoencoderTransformer`).
    learning_rate : float, default=1e-3
        Step size of the optimizer (ignored for an optimizer instance).
    optimizer : {"adam", "adamw", "nadam", "rmsprop", "sgd"} or \
            keras.optimizers.Optimizer, default="adam"
        Optimizer by Keras name, or an instance whose configuration is copied.
        A plain Adam (no clipping, weight decay or schedule) updates each
        weight with one fused TensorFlow op: Keras' formulas, to float32
        round-off.
    dropout : float, default=0.0
        Fraction of each LSTM's inputs dropped while training.
    validation_fraction : float or None, default=0.1
        Fraction of training sequences held out to monitor the loss for early
        stopping; with too few sequences, or None, the training loss is
        monitored instead.
    patience : int or None, default=10
        Stop after this many epochs without improvement and restore the best
        weights. None trains all ``epochs``.
    callbacks : list of keras.callbacks.Callback, default=None
        Called at the start and end of training and of each epoch (and
        batch); they see the estimator's own model with its
        standardization in place (see :class:`LSTMAutoencoderTransformer`).
    shuffle : bool, default=True
        Shuffle the sequences each epoch.
    scale : bool, default=True
        Standardize each feature inside the model, the mean subtracted in
        float64 so that large offsets keep their precision (see
        :class:`LSTMAutoencoderTransformer`).
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, dropout, the validation split and shuffling,
        without touching global random state.
    verbose : int, default=0
        0 prints nothing, 1 a progress bar per epoch, 2 one line per epoch.
    warm_start : bool, default=False
        Let ``fit`` continue from the current weights and optimizer state
        when the architecture is unchanged (see
        :class:`LSTMAutoencoderTransformer`).

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
    n_iter_ : int
        Number of epochs run.
    n_timesteps_ : int
        Length of the longest training context.
    pretrained_ : bool
        Whether the fit started from the pretrained weights.
    n_features_in_ : int
        Features per time step for 3-D and list input; number of columns for
        2-D input.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when fitted on a DataFrame of string column names.

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
        window_pooling="mean_max",
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
        scale=True,
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
        out = self._output(lengths, seqs.layout, self.n_future)
        # Only the encoder and the future decoder run.
        for index, _, (forecast,) in self._chunks(seqs, "future"):
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
        target = target.shifted(self._offset)
        w = float(self.future_weight)
        errors = np.empty(len(seqs))
        for index, inputs, (rec, forecast) in self._chunks(context, "autoencoder"):
            rec_error = sequence_mse(rec, inputs, context.lengths[index])
            future_error = sequence_mse(
                forecast, target.batch(index), target.lengths[index]
            )
            errors[index] = (rec_error + w * future_error) / (1.0 + w)
        return errors
