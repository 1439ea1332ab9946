"""skseqae's LSTM autoencoder as an sktime transformer.

:class:`LSTMAutoencoderPanelTransformer` reads sktime's Panel data (a 3-D
array of shape (n_instances, n_variables, n_timepoints), a list of
DataFrames of different lengths, a multi-index DataFrame, or any other
Panel mtype sktime converts) and turns each series into the features of
:class:`skseqae.LSTMAutoencoderTransformer`, one row per instance, so it
fits in sktime's pipelines in front of any tabular classifier or regressor.

sktime is an optional dependency: ``pip install skseqae[sktime]``.
"""

try:
    from sktime.transformations.base import BaseTransformer
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "skseqae.sktime needs sktime, which is not installed. "
        "Install it with: pip install skseqae[sktime]"
    ) from exc

import numpy as np
import pandas as pd

from . import _adapter
from ._sequences import from_channels_first

__all__ = ["LSTMAutoencoderPanelTransformer"]


class LSTMAutoencoderPanelTransformer(_adapter.ParametersMixin, BaseTransformer):
    _tags = {
        "authors": "skseqae developers",
        "maintainers": "skseqae developers",
        "python_dependencies": "tensorflow",
        "scitype:transform-input": "Series",
        "scitype:transform-output": "Primitives",
        "scitype:instancewise": True,
        # sktime converts other Panel mtypes to the first: "pd-multiindex"
        # holds unequal lengths and the instances' labels, which transform's
        # rows keep (a conversion to "numpy3D" would fail on unequal lengths).
        "X_inner_mtype": ["pd-multiindex", "df-list", "numpy3D"],
        "y_inner_mtype": "None",
        "fit_is_empty": False,
        "capability:multivariate": True,
        "capability:unequal_length": True,
        "capability:missing_values": False,
        "capability:categorical_in_X": False,
        "property:randomness": "derandomized",
        "capability:random_state": True,
    }

    def _fit(self, X, y=None):
        self.estimator_ = _adapter.plain_estimator(self).fit(_time_first(X))
        return self

    def _update(self, X, y=None):
        # One more epoch over the new instances, from the current weights and
        # optimizer state, with the scaling statistics of the first fit.
        self.estimator_.partial_fit(_time_first(X))
        return self

    def _transform(self, X, y=None):
        return pd.DataFrame(
            self.estimator_.transform(_time_first(X)),
            index=_instances(X),
            columns=self.estimator_.get_feature_names_out(),
        )

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Fast parameter sets for sktime's conformance checks.

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


def _time_first(X):
    """A Panel of one of the inner mtypes, as skseqae's time-steps-first input."""
    if isinstance(X, np.ndarray):  # numpy3D: (n_instances, n_variables, n_timepoints)
        return from_channels_first(X)
    if isinstance(X, pd.DataFrame):  # pd-multiindex: rows (instance, time point)
        X = [frame for _, frame in X.groupby(level=0, sort=False)]
    return [frame.to_numpy(dtype=np.float64) for frame in X]


def _instances(X):
    """The instances' labels: a pd-multiindex's first level, else 0, 1, ..."""
    if isinstance(X, pd.DataFrame):
        return X.index.unique(level=0)
    return pd.RangeIndex(len(X))


LSTMAutoencoderPanelTransformer.__doc__ = _adapter.compose_doc(
    """
    LSTM autoencoder features for sktime Panels, equal or unequal length.

    An sktime transformer (Series in, Primitives out, instance-wise) around
    :class:`skseqae.LSTMAutoencoderTransformer`: ``fit`` trains that
    estimator, with these same parameters, on the Panel turned time steps
    first; ``transform`` returns its features as a DataFrame, one row per
    instance (labelled as the instances of a multi-index frame are),
    columns named as ``get_feature_names_out`` names them. The
    features are exactly the plain estimator's on the same series:
    variables are features per time step, and unequal-length series are
    read as they are, never padded or resampled. ``update`` trains one more
    epoch on the new instances (the plain estimator's ``partial_fit``).

    Missing values are not accepted (``capability:missing_values`` is False).
    ``warm_start`` has no effect: sktime's ``fit`` resets the estimator
    first; ``update`` is the way to continue training.
    """,
    """
    Attributes
    ----------
    estimator_ : LSTMAutoencoderTransformer
        The fitted plain estimator; its ``model_``, ``encoder_``,
        ``history_`` and the rest are there.

    See Also
    --------
    skseqae.LSTMAutoencoderTransformer : The estimator, for time-steps-first data.
    skseqae.aeon.LSTMAutoencoderCollectionTransformer : The same for aeon.

    Examples
    --------
    Features of a bundled set, in an sktime classification pipeline:

    >>> from sklearn.linear_model import LogisticRegression
    >>> from sktime.classification.compose import SklearnClassifierPipeline
    >>> from skseqae.datasets import load_dataset
    >>> from skseqae.sktime import LSTMAutoencoderPanelTransformer
    >>> X, y, X_test, y_test = load_dataset("basicmotions")
    >>> X, X_test = X.transpose(0, 2, 1), X_test.transpose(0, 2, 1)  # sktime's numpy3D
    >>> ae = LSTMAutoencoderPanelTransformer(units=4, epochs=2, random_state=0)
    >>> pipe = SklearnClassifierPipeline(LogisticRegression(), [ae])
    >>> pipe.fit(X, y).predict(X_test).shape
    (40,)
    """,
)
