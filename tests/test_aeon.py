"""skseqae.aeon: aeon's own conformance suite, and the adapters in aeon's pipelines.

No check of aeon's suite is excluded: all of them pass on both adapters with
both of their test parameter sets.
"""

import numpy as np
import pytest

from skseqae import LSTMAutoencoderTransformer
from skseqae.datasets import load_dataset

pytest.importorskip(
    "aeon", reason="skseqae.aeon needs the aeon extra: pip install skseqae[aeon]"
)
from aeon.classification.sklearn import RotationForestClassifier  # noqa: E402
from aeon.pipeline import make_pipeline  # noqa: E402
from aeon.testing.estimator_checking import parametrize_with_checks  # noqa: E402

from skseqae.aeon import (  # noqa: E402
    LSTMAutoencoderCollectionAnomalyDetector,
    LSTMAutoencoderCollectionTransformer,
)

TINY = dict(units=4, epochs=2, pretrained=False, random_state=0)


@parametrize_with_checks(
    [LSTMAutoencoderCollectionTransformer, LSTMAutoencoderCollectionAnomalyDetector]
)
def test_aeon_conformance(check):
    check()


def test_aeon_pipeline_into_aeon_classifier_gives_the_plain_features():
    X, y, X_test, _ = load_dataset("basicmotions")
    pipe = make_pipeline(
        LSTMAutoencoderCollectionTransformer(**TINY),
        RotationForestClassifier(n_estimators=5, random_state=0),
    )
    # aeon's collections are channels first: (n_cases, n_channels, n_timepoints).
    pipe.fit(X.transpose(0, 2, 1), y)
    predictions = pipe.predict(X_test.transpose(0, 2, 1))

    plain = LSTMAutoencoderTransformer(**TINY).fit(X)
    adapter = pipe.steps_[0][1]
    np.testing.assert_array_equal(
        adapter.transform(X_test.transpose(0, 2, 1)), plain.transform(X_test)
    )
    forest = RotationForestClassifier(n_estimators=5, random_state=0)
    forest.fit(plain.transform(X), y)
    np.testing.assert_array_equal(predictions, forest.predict(plain.transform(X_test)))


def test_unequal_lengths_as_np_list_give_the_plain_features():
    X, _, X_test, _ = load_dataset("japanesevowels", layout="list")
    X, X_test = X[:30], X_test[:20]  # 7-29 steps, 12 channels
    adapter = LSTMAutoencoderCollectionTransformer(**TINY).fit([x.T for x in X])
    plain = LSTMAutoencoderTransformer(**TINY).fit(X)
    np.testing.assert_array_equal(
        adapter.transform([x.T for x in X_test]), plain.transform(X_test)
    )
    assert adapter.metadata_["unequal_length"]


def test_anomaly_scores_are_the_plain_reconstruction_errors():
    X, y, X_test, _ = load_dataset("gunpoint")
    normal = X[y == y[0]]
    detector = LSTMAutoencoderCollectionAnomalyDetector(**TINY)
    detector.fit(normal.transpose(0, 2, 1))
    plain = LSTMAutoencoderTransformer(**TINY).fit(normal)
    # A case of three times the amplitude is the collection's anomaly.
    cases = np.concatenate([X_test[:10], 3 * X_test[:1]])
    scores = detector.predict(cases.transpose(0, 2, 1))
    np.testing.assert_array_equal(scores, -plain.score_samples(cases))
    assert scores.argmax() == 10
