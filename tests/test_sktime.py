"""skseqae.sktime: sktime's own conformance suite, and the adapter in its pipelines.

No test of sktime's suite is excluded: all of them pass on both of the
adapter's test parameter sets.
"""

import numpy as np
import pytest

from skseqae import LSTMAutoencoderTransformer
from skseqae.datasets import load_dataset

pytest.importorskip(
    "sktime",
    reason="skseqae.sktime needs the sktime extra: pip install skseqae[sktime]",
)
import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sktime.classification.compose import SklearnClassifierPipeline  # noqa: E402
from sktime.utils.estimator_checks import (  # noqa: E402
    check_estimator,
    parametrize_with_checks,
)

from skseqae.sktime import LSTMAutoencoderPanelTransformer  # noqa: E402

TINY = dict(units=4, epochs=2, pretrained=False, random_state=0)


@parametrize_with_checks(LSTMAutoencoderPanelTransformer)
def test_sktime_conformance(obj, test_name):
    check_estimator(obj, tests_to_run=test_name, raise_exceptions=True)


def test_sktime_classification_pipeline_gives_the_plain_features():
    X, y, X_test, _ = load_dataset("basicmotions")
    pipe = SklearnClassifierPipeline(
        LogisticRegression(), [LSTMAutoencoderPanelTransformer(**TINY)]
    )
    # sktime's numpy3D Panels are channels first: (n_instances, n_variables,
    # n_timepoints).
    pipe.fit(X.transpose(0, 2, 1), y)
    plain_pipe = make_pipeline(LSTMAutoencoderTransformer(**TINY), LogisticRegression())
    np.testing.assert_array_equal(
        pipe.predict(X_test.transpose(0, 2, 1)), plain_pipe.fit(X, y).predict(X_test)
    )

    plain = plain_pipe[0]
    adapter = pipe.transformers_.steps_[0][1]
    features = adapter.transform(X_test.transpose(0, 2, 1))
    assert list(features.columns) == list(plain.get_feature_names_out())
    np.testing.assert_array_equal(features.to_numpy(), plain.transform(X_test))


def test_unequal_lengths_as_multiindex_frame_give_the_plain_features():
    X, _, _, _ = load_dataset("japanesevowels", layout="list")
    X = X[:30]  # 7-29 steps, 12 variables
    labels = [f"speaker{i}" for i in range(30)]
    frame = pd.concat(
        {label: pd.DataFrame(x) for label, x in zip(labels, X)},
        names=["instance", "time"],
    )
    adapter = LSTMAutoencoderPanelTransformer(**TINY).fit(frame)
    plain = LSTMAutoencoderTransformer(**TINY).fit(X)
    features = adapter.transform(frame)
    assert list(features.index) == labels
    np.testing.assert_array_equal(features.to_numpy(), plain.transform(X))
    frames = [pd.DataFrame(x) for x in X]  # sktime's "df-list"
    np.testing.assert_array_equal(
        adapter.transform(frames).to_numpy(), plain.transform(X)
    )


def test_update_trains_one_more_epoch_from_the_fitted_weights():
    X, _, _, _ = load_dataset("italypowerdemand")
    panel = X.transpose(0, 2, 1)
    adapter = LSTMAutoencoderPanelTransformer(**TINY).fit(panel[:40])
    before = adapter.transform(panel).to_numpy()
    adapter.update(panel[40:])

    plain = LSTMAutoencoderTransformer(**TINY).fit(X[:40]).partial_fit(X[40:])
    assert adapter.estimator_.n_iter_ == plain.n_iter_ == 3
    after = adapter.transform(panel).to_numpy()
    assert not np.allclose(after, before)
    np.testing.assert_array_equal(after, plain.transform(X))
