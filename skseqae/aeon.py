"""skseqae's LSTM autoencoder as an aeon collection transformer and anomaly detector.

:class:`LSTMAutoencoderCollectionTransformer` reads collections as aeon
stores them (channels first: a 3-D array of shape (n_cases, n_channels,
n_timepoints), or a list of (n_channels, n_timepoints_i) arrays of
different lengths, or any other collection type aeon converts), and turns
each series into the features of :class:`skseqae.LSTMAutoencoderTransformer`,
so it fits in aeon's pipelines in front of any of aeon's or scikit-learn's
classifiers, regressors or clusterers.
:class:`LSTMAutoencoderCollectionAnomalyDetector` scores each case of such
a collection by how badly the autoencoder reconstructs it.

aeon is an optional dependency: ``pip install skseqae[aeon]``.
"""

try:
    from aeon.anomaly_detection.collection import BaseCollectionAnomalyDetector
    from aeon.transformations.collection import BaseCollectionTransformer
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "skseqae.aeon needs aeon, which is not installed. "
        "Install it with: pip install skseqae[aeon]"
    ) from exc

from . import _adapter
from ._sequences import from_channels_first

__all__ = [
    "LSTMAutoencoderCollectionAnomalyDetector",
    "LSTMAutoencoderCollectionTransformer",
]


class _AeonAdapter(_adapter.ParametersMixin):
    """What both aeon adapters share: parameters, tags, test parameters.

    Each adapter writes its own ``_fit`` (aeon's checks look for it in the
    class itself), through :func:`_fit_plain`.
    """

    # aeon merges the _tags of every class in the MRO, these first.
    _tags = {
        "X_inner_type": ["numpy3D", "np-list"],
        "capability:multivariate": True,
        "capability:unequal_length": True,
        "algorithm_type": "deeplearning",
        # An int random_state makes refits identical (on one machine and
        # TensorFlow build), which is what aeon's determinism checks compare.
        "non_deterministic": False,
        "python_dependencies": "tensorflow",
    }

    @classmethod
    def _get_test_params(cls, parameter_set="default"):
        """Fast parameter sets for aeon's conformance checks.

        Parameters
        ----------
        parameter_set : str, default="default"
            Ignored: every set is fast.

        Returns
        -------
        params : list of dict
            Tiny networks, one or two epochs, random initial weights.
        """
        return [dict(params) for params in _adapter.TEST_PARAMS]


class LSTMAutoencoderCollectionTransformer(_AeonAdapter, BaseCollectionTransformer):
    _tags = {"output_data_type": "Tabular"}

    def _fit(self, X, y=None):
        return _fit_plain(self, X)

    def _transform(self, X, y=None):
        return self.estimator_.transform(from_channels_first(X))


class LSTMAutoencoderCollectionAnomalyDetector(
    _AeonAdapter, BaseCollectionAnomalyDetector
):
    _tags = {
        "anomaly_output_type": "anomaly_scores",
        "learning_type:unsupervised": True,
        "learning_type:semi_supervised": True,
        "fit_is_empty": False,
    }

    def _fit(self, X, y=None):
        return _fit_plain(self, X)

    def _predict(self, X):
        # aeon's anomaly scores grow with abnormality; score_samples is the
        # negative reconstruction error (scikit-learn's "higher is normal").
        return -self.estimator_.score_samples(from_channels_first(X))


def _fit_plain(adapter, X):
    """Fit ``adapter.estimator_``, the plain estimator, on aeon's collection ``X``."""
    adapter.estimator_ = _adapter.plain_estimator(adapter).fit(from_channels_first(X))
    return adapter


LSTMAutoencoderCollectionTransformer.__doc__ = _adapter.compose_doc(
    """
    LSTM autoencoder features for aeon collections, equal or unequal length.

    An aeon collection transformer around
    :class:`skseqae.LSTMAutoencoderTransformer`: ``fit`` trains that
    estimator, with these same parameters, on the collection turned time
    steps first (:func:`skseqae.from_channels_first`); ``transform`` returns
    its features, one row per case (aeon's "Tabular" output). The features
    are exactly the plain estimator's on the same series: channels are
    features per time step, and unequal-length series are read as they are,
    never padded or resampled.

    Missing values are not accepted (aeon's ``capability:missing_values`` is
    False); unequal lengths go in as a list. ``warm_start`` has no effect:
    aeon's ``fit`` resets the estimator first.
    """,
    """
    Attributes
    ----------
    estimator_ : LSTMAutoencoderTransformer
        The fitted plain estimator; its ``model_``, ``encoder_``,
        ``history_`` and the rest are there.
    metadata_ : dict
        aeon's description of the training collection (channels, lengths).

    See Also
    --------
    skseqae.LSTMAutoencoderTransformer : The estimator, for time-steps-first data.
    skseqae.sktime.LSTMAutoencoderPanelTransformer : The same for sktime.

    Examples
    --------
    Features of a bundled set, through an aeon pipeline into aeon's rotation
    forest:

    >>> from aeon.classification.sklearn import RotationForestClassifier
    >>> from aeon.pipeline import make_pipeline
    >>> from skseqae.aeon import LSTMAutoencoderCollectionTransformer
    >>> from skseqae.datasets import load_dataset
    >>> X, y, X_test, y_test = load_dataset("basicmotions")
    >>> X, X_test = X.transpose(0, 2, 1), X_test.transpose(0, 2, 1)  # aeon's layout
    >>> X.shape  # 40 cases, 6 channels, 100 time points
    (40, 6, 100)
    >>> ae = LSTMAutoencoderCollectionTransformer(units=4, epochs=2, random_state=0)
    >>> forest = RotationForestClassifier(n_estimators=5, random_state=0)
    >>> pipe = make_pipeline(ae, forest)
    >>> pipe.fit(X, y).predict(X_test).shape
    (40,)
    """,
)


LSTMAutoencoderCollectionAnomalyDetector.__doc__ = _adapter.compose_doc(
    """
    LSTM autoencoder anomaly scores for aeon collections, one per case.

    An aeon collection anomaly detector around
    :class:`skseqae.LSTMAutoencoderTransformer`: ``fit`` trains that
    estimator, with these same parameters, to reconstruct the collection
    (ideally normal cases only; labels are ignored), and ``predict`` returns
    each case's reconstruction error, the mean squared error over its real
    time steps and channels in the data's units: the negative of the plain
    estimator's ``score_samples``, so that higher is more anomalous, as aeon
    defines anomaly scores. Unequal-length cases go in as a list.
    ``warm_start`` has no effect: aeon's ``fit`` resets the estimator first.
    """,
    """
    Attributes
    ----------
    estimator_ : LSTMAutoencoderTransformer
        The fitted plain estimator.
    metadata_ : dict
        aeon's description of the training collection (channels, lengths).

    See Also
    --------
    LSTMAutoencoderCollectionTransformer : The features of the same network.
    skseqae.WindowAnomalyDetector : Scores for every step of one long series.

    Examples
    --------
    >>> import numpy as np
    >>> from skseqae.aeon import LSTMAutoencoderCollectionAnomalyDetector
    >>> phases = np.random.default_rng(0).uniform(0, 6, (20, 1, 1))
    >>> X = np.sin(np.linspace(0, 6, 30) + phases)  # 20 cases, 1 channel
    >>> detector = LSTMAutoencoderCollectionAnomalyDetector(
    ...     units=4, epochs=2, random_state=0
    ... ).fit(X)
    >>> scores = detector.predict(np.concatenate([X[:2], 5 * X[:1]]))
    >>> bool(scores[2] > scores[:2].max())  # the amplified sine is the anomaly
    True
    """,
)
