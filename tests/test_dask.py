"""skseqae.dask and searches on a Dask cluster: the behaviours users rely on.

The cluster tests start one LocalCluster of 2 worker processes (one thread
each) for the module and close it at the end. The transform test runs before
the search on purpose: its workers have never fitted a model, as on a
cluster that only serves predictions, so the estimator must unpickle in a
process that has imported nothing of skseqae but what unpickling imports.
"""

import subprocess
import sys

import numpy as np
import pytest

from skseqae import CompositeLSTMAutoencoder, LSTMAutoencoderTransformer

from .conftest import ragged_batch, sine_batch

dask = pytest.importorskip(
    "dask", reason="skseqae.dask needs the dask extra: pip install skseqae[dask]"
)
import dask.array as da  # noqa: E402
import dask.bag as db  # noqa: E402
import joblib  # noqa: E402
from distributed import Client, LocalCluster, get_task_stream  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

import skseqae.dask as skdask  # noqa: E402

TINY = dict(units=4, epochs=2, batch_size=16, random_state=0)
# Results are computed in float32 and may differ in the last bits when a
# sequence shares its inference chunk with other sequences (see _inference).
FLOAT32 = dict(rtol=1e-5, atol=1e-6)


def padded(sequences):
    """NaN-pad a list of (T_i, F) arrays at the end into one (n, T, F) array."""
    width = max(len(s) for s in sequences)
    out = np.full((len(sequences), width, sequences[0].shape[1]), np.nan, np.float32)
    for i, s in enumerate(sequences):
        out[i, : len(s)] = s
    return out


@pytest.fixture(scope="module")
def ragged_set():
    """A fitted model and 40 ragged sequences (lengths 4-14), NaN-padded."""
    sequences = ragged_batch(40, n_features=2, seed=3)
    model = LSTMAutoencoderTransformer(**TINY).fit(sequences[:20])
    return model, sequences, padded(sequences)


# ------------------------------------------------------------ optional import


def python(code):
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )


def test_importing_skseqae_does_not_import_dask():
    run = python("import sys, skseqae; print('dask' in sys.modules)")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"


def test_missing_dask_names_the_extra_to_install():
    run = python("import sys; sys.modules['dask'] = None; import skseqae.dask")
    assert "ImportError" in run.stderr
    assert "pip install skseqae[dask]" in run.stderr


# -------------------------------------- transform, threaded scheduler (local)


def test_transform_of_ragged_dask_array_equals_in_memory(ragged_set):
    model, _, X = ragged_set
    Z = skdask.transform(model, da.from_array(X, chunks=(15, -1, -1)))
    assert isinstance(Z, da.Array)
    assert Z.shape == (40, 12) and Z.chunks == ((15, 15, 10), (12,))
    np.testing.assert_allclose(Z.compute(), model.transform(X), **FLOAT32)


def test_score_samples_of_dask_bag_equals_in_memory(ragged_set):
    model, sequences, _ = ragged_set
    scores = skdask.score_samples(model, db.from_sequence(sequences, npartitions=3))
    assert scores.ndim == 1 and scores.dtype == np.float64
    np.testing.assert_allclose(
        scores.compute(), model.score_samples(sequences), **FLOAT32
    )


def test_transform_of_bag_and_2d_array():
    X = sine_batch(12, 9)[:, :, 0]  # univariate sequences, one per row
    model = LSTMAutoencoderTransformer(**TINY).fit(X)
    expected = model.transform(X)
    Z = skdask.transform(model, da.from_array(X, chunks=(5, 3)))  # time split too
    assert Z.chunks == ((5, 5, 2), (12,))
    np.testing.assert_allclose(Z.compute(), expected, **FLOAT32)
    bag = skdask.transform(model, db.from_sequence(list(X), npartitions=4))
    np.testing.assert_allclose(bag.compute(), expected, **FLOAT32)


def test_composite_and_empty_chunks(ragged_set):
    _, sequences, X = ragged_set
    model = CompositeLSTMAutoencoder(n_future=2, **TINY).fit(sequences)
    dX = da.from_array(X, chunks=(10, -1, -1))
    kept = dX[da.from_array(np.arange(40) >= 10, chunks=10)]  # first chunk empty
    scores = skdask.score_samples(model, kept).compute()
    np.testing.assert_allclose(scores, model.score_samples(X[10:]), **FLOAT32)


def test_result_is_lazy(ragged_set):
    model, _, X = ragged_set
    calls = []

    def load(block):
        calls.append(len(block))
        return block

    dX = da.from_array(X, chunks=(20, -1, -1)).map_blocks(load, meta=X[:0])
    Z = skdask.transform(model, dX)
    assert calls == []  # nothing read or encoded yet
    Z[:5].compute()
    assert calls == [20]  # only the chunk that holds the rows asked for


def test_threaded_scheduler_uses_the_estimator_without_pickling(ragged_set):
    model, _, X = ragged_set
    before = skdask._unpickle_count
    skdask.transform(model, da.from_array(X, chunks=10)).compute()
    assert skdask._unpickle_count == before


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.zeros((4, 5, 2)), TypeError, "dask array or a dask bag"),
        (da.zeros((4, 5, 2, 1)), ValueError, "got 4 dimensions"),
    ],
)
def test_bad_input_says_what_to_pass(ragged_set, X, error, match):
    with pytest.raises(error, match=match):
        skdask.transform(ragged_set[0], X)


def test_unfitted_estimator_is_refused():
    with pytest.raises(NotFittedError):
        skdask.transform(LSTMAutoencoderTransformer(), da.zeros((4, 5, 2)))


# ---------------------------------------------------- on a LocalCluster


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env={"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"},
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def test_cluster_transform_ships_the_estimator_once_per_worker(client, ragged_set):
    model, sequences, X = ragged_set
    dX = da.from_array(X, chunks=(5, -1, -1))  # 8 chunks for 2 workers
    before = client.run(_worker_unpickle_count)
    Z, scores = dask.compute(
        skdask.transform(model, dX), skdask.score_samples(model, dX)
    )
    after = client.run(_worker_unpickle_count)
    np.testing.assert_allclose(Z, model.transform(X), **FLOAT32)
    np.testing.assert_allclose(scores, model.score_samples(sequences), **FLOAT32)
    # Two calls (transform and score_samples): at most one unpickling of each
    # per worker however many chunks it ran, and the workers did run them.
    unpickled = [after[w] - before[w] for w in after]
    assert max(unpickled) <= 2 and sum(unpickled) >= 2


def _worker_unpickle_count():
    import skseqae.dask

    return skseqae.dask._unpickle_count


def test_cluster_search_equals_serial_search(client):
    X = np.concatenate([sine_batch(24, 12, 2, seed=1), 0.5 * sine_batch(24, 12, 2)])
    y = np.repeat([0, 1], 24)
    # One architecture (traced once per worker); the parameters change the fits.
    grid = {
        "lstmautoencodertransformer__learning_rate": [1e-3, 3e-2],
        "lstmautoencodertransformer__epochs": [1, 3],
    }

    def search():
        pipe = make_pipeline(LSTMAutoencoderTransformer(**TINY), LogisticRegression())
        return GridSearchCV(pipe, grid, cv=2)

    serial = search().fit(X, y)
    with get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        distributed = search().fit(X, y)
    assert len({task["worker"] for task in tasks.data}) == 2  # fits ran on both
    assert distributed.best_params_ == serial.best_params_
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(
            distributed.cv_results_[key], serial.cv_results_[key]
        )
    np.testing.assert_array_equal(distributed.predict(X), serial.predict(X))
