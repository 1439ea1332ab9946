"""scikit-learn's own estimator checks, on every estimator of the package."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skseqae import CompositeLSTMAutoencoder, LSTMAutoencoderTransformer

# Tiny models: the checks test the API contract, not the learning.
ESTIMATORS = [
    LSTMAutoencoderTransformer(units=3, epochs=2, batch_size=16, random_state=0),
    CompositeLSTMAutoencoder(
        n_future=1, units=3, epochs=2, batch_size=16, random_state=0
    ),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
