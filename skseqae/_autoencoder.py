"""LSTMAutoencoderTransformer: the reconstruction autoencoder."""

import numpy as np

from ._base import _BaseSequenceAutoencoder, sequence_mse
from ._docstrings import shared_docs
from ._state import register


@register
@shared_docs()
class LSTMAutoencoderTransformer(_BaseSequenceAutoencoder):
    """LSTM autoencoder whose encoder turns sequences into feature vectors.

    An encoder LSTM reads each sequence into one vector (its code: by
    default the last hidden state with the mean and max over time, in both
    directions); a decoder LSTM, fed that vector at every step, rebuilds the
    sequence; both train to minimise the reconstruction error. Afterwards
    :meth:`transform` returns the encoder's vectors: fixed-length features
    for any scikit-learn model, learned without labels, and
    :meth:`score_samples` the negative reconstruction error of each
    sequence, an anomaly score.

    Sequences may differ in length (a list of arrays, or a 3-D array padded
    at the end with NaN); padding never affects the result.

    Parameters
    ----------
    [shared parameters]

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
    n_timesteps_ : int
        Length of the longest training sequence.
    [shared attributes]

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
        window_pooling="auto",
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
        moments = self._sequence_moments(seqs)
        for index, inputs, (reconstruction,) in self._chunks(
            seqs, "reconstruction", moments
        ):
            errors[index] = sequence_mse(
                reconstruction,
                inputs,
                seqs.lengths[index],
                self._error_scale(moments, index),  # back to the data's units
            )
        return errors
