"""LSTMAutoencoderTransformer: the reconstruction autoencoder."""

import numpy as np

from ._base import _BaseSequenceAutoencoder, sequence_mse


class LSTMAutoencoderTransformer(_BaseSequenceAutoencoder):
    """LSTM autoencoder whose encoder turns sequences into feature vectors.

    An encoder LSTM reads each sequence into one vector (its final hidden
    state); a decoder LSTM, fed that vector at every step, rebuilds the
    sequence; both train to minimise the reconstruction error. Afterwards
    :meth:`transform` returns the encoder's vectors: fixed-length features
    for any scikit-learn model, learned without labels.

    Sequences may differ in length (a list of arrays, or a 3-D array padded
    at the end with NaN); padding never affects the result.

    Parameters
    ----------
    units : int or tuple of int, default=64
        Size of the encoder LSTM, or sizes of stacked LSTMs from first to
        last. The decoder mirrors them.
    encoding : {"last_mean_max", "mean_max", "last", "mean", "max"}, \
            default="last_mean_max"
        How the last encoder LSTM's hidden states over a sequence's real
        steps become its code: the vector the decoder rebuilds the sequence
        from, and what :meth:`transform` returns. ``"last"`` is the state
        at the last step (the seed tutorial's encoder: ``units`` features);
        ``"mean"`` and ``"max"`` pool over time (``units`` features each);
        ``"mean_max"`` joins both, ``"last_mean_max"`` all three
        (``3 * units`` features, twice that with ``bidirectional``). The
        default was chosen by measurement:
        with the other defaults and a logistic regression on the features,
        5-fold cross-validated accuracy on the training splits (2 seeds) was
        GunPoint 0.70-0.80 with "last", 0.96-1.00 with "mean_max", 0.98
        with "last_mean_max"; BasicMotions 0.78, 1.00, 1.00; ItalyPowerDemand
        0.955, 0.93-0.96, 0.94-0.96; JapaneseVowels 0.95-0.96 for all three
        (README, "Accuracy").
    bidirectional : bool, default=True
        Also read each sequence backwards, from its last real step to its
        first, with a second LSTM per encoder layer; the code then joins
        both directions' summaries (twice the features, about 1.5x the
        training time). Chosen by 3-fold cross-validation on the training
        splits with a logistic regression on the features (one seed,
        ``max_steps=128``): ArrowHead 0.639 both ways, OSULeaf 0.670
        against 0.585 forward only, ACSF1 0.398 against 0.379, GunPoint
        0.961 against 0.940, JapaneseVowels 0.985 against 0.967.
    max_steps : int or None, default=128
        Longest sequence the LSTMs read in training: when the longest
        training sequence (``n_timesteps_``) is longer, every sequence is
        averaged over windows of ``ceil(n_timesteps_ / max_steps)`` steps
        before the encoder (the same windows in every later call), and
        the reconstruction, made at that coarser resolution, is repeated
        back to each input's own length and layout. ACSF1's 1,460 steps
        become 122: training runs about 12 times fewer steps. None reads
        every step.
    window_pooling : {"mean_max", "mean", "max", "mean_std", "mean_max_std"} \
            or None, default="mean_max"
        What sequences longer than ``max_steps`` keep of their detail. After
        a fit that averages (``n_timesteps_ > max_steps``),
        :meth:`transform` also cuts each sequence into consecutive windows
        as long as the averaged training sequences are
        (``ceil(n_timesteps_ / ceil(n_timesteps_ / max_steps))`` steps at
        most; the windows of one sequence differ in length by one step at
        most), the same encoder reads each window at full resolution, and
        the statistics named here of a sequence's window codes follow its
        averaged code: their mean, maximum and/or standard deviation over
        the windows, each as many features as the code. So a long fit's
        ``"mean_max"`` features are three times the code (``3 * 384`` with
        the other defaults) and stay that many for any input length. None
        keeps the averaged sequence's code alone. A fit on sequences of at
        most ``max_steps`` steps has no windows and gives the same features
        whatever this is. Training does not change: the trained encoder
        reads the windows at :meth:`transform`. Chosen by 3-fold
        cross-validation on the training splits with a logistic regression
        on the features (seed 0, the shipped pretrained start), None
        against "mean_max": ACSF1 0.369 and 0.660, PLAID 0.467 and 0.492,
        GunPoint 0.940 and 0.980, OSULeaf 0.780 and 0.780 (mean 0.639 and
        0.728; "max" 0.723, "mean_std" 0.725, "mean_max_std" 0.714).
        Encoding the windows costs ``transform`` about as many LSTM steps
        again as the whole sequence at full resolution. Window codes do not
        export to ONNX (:func:`skseqae.to_onnx`).
    activation : str, default="tanh"
        Activation of every LSTM. ``"tanh"`` (Keras' default) is bounded,
        trains stably without tuning, and runs TensorFlow's fused LSTM
        kernel (about 2x faster on a CPU, cuDNN on a GPU). ``"relu"``, the
        seed tutorial's choice, is unbounded: nothing bounds an LSTM's cell
        state then, and with the tutorial's settings (learning rate 1e-3,
        100 units) on 512 smooth sine waves of 140 steps the loss spiked to
        603,809 in epoch 3 for one seed of 5 (the raw Keras code of the
        tutorial gave NaN for one seed). So with an unbounded activation
        (relu, elu, selu, gelu, linear) every LSTM clips its cell state to
        [-5, 5], as TensorFlow's ``cell_clip``; bounded ones (tanh, sigmoid,
        softsign) are not clipped. On the same data, 6 epochs, 5 seeds: no
        spike, final loss 0.367-0.415 (before the clip 0.446-0.503; raw
        Keras 0.4976-0.4979 and one NaN). Clipped models do not export to
        ONNX (:func:`skseqae.to_onnx`).
    pretrained : "auto" or bool, default="auto"
        Start training from weights pretrained on many univariate series
        instead of random ones, so that the features do not depend on one
        small data set alone. ``"auto"`` does where they fit (univariate
        sequences, with ``units=64``, ``activation="tanh"``,
        ``encoding="last_mean_max"``, ``bidirectional=True`` and
        ``scale=True``) and starts
        from random weights otherwise; ``True`` requires them (a
        ``ValueError`` says which parameter keeps them from fitting);
        ``False`` never uses them. ``pretrained_`` says what a fit did.
        With ``epochs=0`` the pretrained network is used as it is. The
        weights ship with the package (``skseqae/_weights``, 0.5 MB): a
        fit of this estimator, ``pretrained=False``, on 2,736 univariate
        sequences of 9-256 steps from the training parts of every bundled
        data set (longer ones cut into random windows of 32-256 steps),
        each z-normalized, which its ``max_steps=128`` read averaged over
        windows of 2 steps; ``scripts/pretrain_encoder.py`` makes them, and
        the ``.json`` beside them records how. Chosen by 3-fold
        cross-validation on the training splits, each set's score from
        weights pretrained without that set (README, "Accuracy"). A fit
        that continues (``warm_start``) keeps its weights: a changed
        ``pretrained`` applies to the next fresh fit.
    epochs : int, default=100
        Maximum number of passes over the training data; 0 trains nothing
        (the features of the initial network, pretrained or random): no
        callback is called and ``history_`` stays empty.
    batch_size : int or "auto", default="auto"
        Sequences per gradient step. ``"auto"`` is
        ``min(32, max(1, n_train // 8))``, ``n_train`` being the sequences
        left after the validation split (for ``partial_fit``, the chunk's
        sequences, like scikit-learn's MLP): 32 from 256 sequences up, and
        below that small enough for at least 8 steps per epoch (every
        sequence its own step under 8). Small data sets then get enough
        optimizer steps to learn (issue #10: on 10-23 training sequences,
        batches of 32 left the reconstruction barely trained).
    learning_rate : float, default=1e-3
        Step size of the optimizer (ignored when ``optimizer`` is an
        instance, which carries its own).
    optimizer : {"adam", "adamw", "nadam", "rmsprop", "sgd"} or \
            keras.optimizers.Optimizer, default="adam"
        Optimizer by Keras name, or an instance to copy (its configuration
        is used; the instance itself is never modified). A plain Adam
        (no clipping, weight decay or schedule) updates each weight with
        one fused TensorFlow op: Keras' formulas, to float32 round-off.
    dropout : float, default=0.0
        Fraction of each LSTM's inputs dropped while training.
    validation_fraction : float or None, default=0.1
        Fraction of the training sequences held out to monitor the
        reconstruction loss for early stopping. When it would hold out no
        sequence (fewer than ``1 / validation_fraction`` sequences) or is
        None, the training loss is monitored instead.
    patience : int or None, default=10
        Stop after this many epochs without improvement of the monitored
        loss, and restore the best weights. None trains all ``epochs``.
    callbacks : list of keras.callbacks.Callback, default=None
        Called at the start and end of training and of each epoch, with
        logs ``loss`` (and ``val_loss``). Setting ``model.stop_training``
        ends training. Their ``model`` is the estimator's own ``model_``
        with its standardization in place, so a ``ModelCheckpoint`` saves
        the model ``fit`` leaves (training itself feeds centred data to a
        zero-mean copy of the standardization in between hooks).
    shuffle : bool, default=True
        Shuffle the sequences each epoch (with the estimator's own random
        generator). Batches group sequences of similar length.
    scale : bool, default=True
        Standardize each feature (mean 0, standard deviation 1 over the
        training steps) inside the model. The loss is measured in these
        units, so features on different scales count alike and unscaled
        data trains stably; outputs come back in the data's units. The
        mean is subtracted in float64 before the data is cast to float32,
        so data far from zero relative to its spread (``1e6 + 0.01 * x``)
        keeps its precision. With ``scale=False`` the network reads the
        values as they are, in float32.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, the validation split and
        shuffling. With an int, refitting gives the same model (on the same
        machine and TensorFlow build). Global random state is never used or
        changed.
    verbose : int, default=0
        0 prints nothing, 1 shows a progress bar per epoch, 2 one line per
        epoch.
    warm_start : bool, default=False
        When True and the estimator is fitted with the same architecture
        (same parameters that shape the network, same number of features),
        ``fit`` continues from the current weights and optimizer state
        instead of starting afresh: ``n_iter_`` adds up and ``history_``
        grows. The scaling statistics of the first fit are kept. Otherwise
        ``fit`` starts afresh (scikit-learn's convention).

    Attributes
    ----------
    model_ : keras.Model
        The whole autoencoder, from sequences to reconstructions.
    encoder_ : keras.Model
        Standalone encoder sharing the autoencoder's weights: sequences
        (NaN-padded allowed) to codes, the vectors :meth:`transform` returns.
        It takes the data as it is and standardizes it in float32, so on
        data with a large offset (``1e6 + 0.01 * x``) it is less precise
        than :meth:`transform`, which subtracts the mean in float64 first.
    decoder_ : keras.Model
        Standalone decoder sharing the autoencoder's weights: feature
        vectors to sequences of ``n_timesteps_`` steps.
    history_ : dict of list of float
        Per-epoch ``loss`` (and ``val_loss``), as in Keras' ``History``.
    n_iter_ : int
        Number of epochs run.
    n_timesteps_ : int
        Length of the longest training sequence.
    pretrained_ : bool
        Whether the fit started from the pretrained weights (see
        ``pretrained``).
    n_features_in_ : int
        Features per time step for 3-D and list input; number of columns
        (time steps) for 2-D input, as scikit-learn defines it.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when fitted on a DataFrame of string column names.

    See Also
    --------
    CompositeLSTMAutoencoder : Adds a decoder that predicts the future.

    Examples
    --------
    >>> import numpy as np
    >>> from skseqae import LSTMAutoencoderTransformer
    >>> X = np.sin(np.linspace(0, 3, 20))[None, :] * np.arange(1, 9)[:, None]
    >>> ae = LSTMAutoencoderTransformer(units=4, epochs=2, random_state=0)
    >>> ae.fit(X).transform(X).shape  # last, mean, max of 4 units, 2 directions
    (8, 24)
    """

    def __init__(
        self,
        *,
        units=64,
        encoding="last_mean_max",
        bidirectional=True,
        max_steps=128,
        window_pooling="mean_max",
        activation="tanh",
        pretrained="auto",
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

    def fit(self, X, y=None):
        """Fit the autoencoder to reconstruct sequences ``X``.

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

        Returns
        -------
        self : LSTMAutoencoderTransformer
            The fitted estimator.
        """
        return super().fit(X)

    def partial_fit(self, X, y=None):
        """Train one pass over ``X``, continuing from the current state.

        The first call builds the model and fixes the scaling statistics
        (from its ``X``); each call is one epoch over ``X`` that continues
        the weights and optimizer state, for data that arrives in chunks or
        does not fit in memory (e.g. with dask-ml's ``Incremental``).
        ``epochs``, ``validation_fraction`` and ``patience`` do not apply.

        Parameters
        ----------
        X : array-like or list of array-like
            A chunk of training sequences, in any layout ``fit`` accepts.
        y : Ignored
            Accepted for compatibility.

        Returns
        -------
        self : LSTMAutoencoderTransformer
            The updated estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from skseqae import LSTMAutoencoderTransformer
        >>> X = np.sin(np.linspace(0, 3, 12))[None, :] * np.arange(1, 9)[:, None]
        >>> ae = LSTMAutoencoderTransformer(units=3, random_state=0)
        >>> for chunk in (X[:4], X[4:]):
        ...     ae = ae.partial_fit(chunk)
        >>> ae.n_iter_
        2
        """
        return super().partial_fit(X)

    def predict(self, X):
        """Reconstruct each sequence (the same as :meth:`reconstruct`).

        Parameters
        ----------
        X : array-like or list of array-like
            Sequences, in any layout ``fit`` accepts.

        Returns
        -------
        reconstructions : ndarray or list of ndarray
            In the layout of ``X``.
        """
        return self.reconstruct(X)

    def _network_spec(self, n_features, units):
        from ._models import NetworkSpec

        return NetworkSpec(
            n_features,
            units,
            self.activation,
            float(self.dropout),
            encoding=self.encoding,
        )

    def _training_data(self, seqs):
        from ._training import TrainingData

        return TrainingData(seqs, (seqs,))

    def _loss_weights(self):
        return (1.0,)

    def _score_errors(self, seqs):
        errors = np.empty(len(seqs))
        for index, inputs, (reconstruction,) in self._chunks(seqs, "reconstruction"):
            errors[index] = sequence_mse(reconstruction, inputs, seqs.lengths[index])
        return errors
