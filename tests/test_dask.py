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
from skseqae._sequences import padded

from .conftest import ragged_batch, sine_batch

dask = pytest.importorskip(
    "dask", reason="skseqae.dask needs the dask extra: pip install skseqae[dask]"
)
import dask.array as da  # noqa: E402
import dask.bag as db  # noqa: E402
import joblib  # noqa: E402
from dask_ml.wrappers import Incremental  # noqa: E402
from distributed import Client, LocalCluster, get_task_stream  # noqa: E402
from scipy.stats import loguniform  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

import skseqae.dask as skdask  # noqa: E402

TINY = dict(units=4, epochs=2, batch_size=16, random_state=0)
# Results are computed in float32 and may differ in the last bits when a
# sequence shares its inference chunk with other sequences (see _inference).
FLOAT32 = dict(rtol=1e-5, atol=1e-6)
# Tests without a cluster say so: once the cluster fixture exists, its Client
# is the default scheduler of every compute in this process.
THREADS = "threads"


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
    expected = model.transform(X)
    Z = skdask.transform(model, da.from_array(X, chunks=(15, -1, -1)))
    assert isinstance(Z, da.Array)
    assert Z.chunks == ((15, 15, 10), (expected.shape[1],))
    np.testing.assert_allclose(Z.compute(scheduler=THREADS), expected, **FLOAT32)


def test_score_samples_of_dask_bag_equals_in_memory(ragged_set):
    model, sequences, _ = ragged_set
    scores = skdask.score_samples(model, db.from_sequence(sequences, npartitions=3))
    assert scores.ndim == 1 and scores.dtype == np.float64
    np.testing.assert_allclose(
        scores.compute(scheduler=THREADS), model.score_samples(sequences), **FLOAT32
    )


def test_transform_of_bag_and_2d_array():
    X = sine_batch(12, 9)[:, :, 0]  # univariate sequences, one per row
    model = LSTMAutoencoderTransformer(**TINY).fit(X)
    expected = model.transform(X)
    Z = skdask.transform(model, da.from_array(X, chunks=(5, 3)))  # time split too
    assert Z.chunks == ((5, 5, 2), (expected.shape[1],))
    np.testing.assert_allclose(Z.compute(scheduler=THREADS), expected, **FLOAT32)
    bag = skdask.transform(model, db.from_sequence(list(X), npartitions=4))
    np.testing.assert_allclose(bag.compute(scheduler=THREADS), expected, **FLOAT32)


def test_composite_and_empty_chunks(ragged_set):
    _, sequences, X = ragged_set
    model = CompositeLSTMAutoencoder(n_future=2, **TINY).fit(sequences)
    dX = da.from_array(X, chunks=(10, -1, -1))
    kept = dX[da.from_array(np.arange(40) >= 10, chunks=10)]  # first chunk empty
    scores = skdask.score_samples(model, kept).compute(scheduler=THREADS)
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
    Z[:5].compute(scheduler=THREADS)
    assert calls == [20]  # only the chunk that holds the rows asked for


def test_threaded_scheduler_uses_the_estimator_without_pickling(ragged_set):
    model, _, X = ragged_set
    before = skdask._unpickle_count
    skdask.transform(model, da.from_array(X, chunks=10)).compute(scheduler=THREADS)
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


def test_window_anomaly_detector_is_refused():
    from skseqae import WindowAnomalyDetector

    detector = WindowAnomalyDetector(window=8)
    with pytest.raises(TypeError, match="does not take a WindowAnomalyDetector"):
        skdask.score_samples(detector, da.zeros((40, 1)))


@pytest.mark.parametrize("kind", ["array", "bag"])
def test_chunk_errors_number_sequences_globally(ragged_set, kind):
    model, sequences, X = ragged_set
    X = X.copy()
    X[25, 1] = np.nan  # NaN inside sequence 25 (the sixth of its chunk of 5)
    sequences = [s.copy() for s in sequences]
    sequences[25][1] = np.nan
    if kind == "array":
        Z = skdask.transform(model, da.from_array(X, chunks=(10, -1, -1)))
    else:
        Z = skdask.transform(model, db.from_sequence(sequences, npartitions=4))
    with pytest.raises(ValueError, match=r"sequence 25\b") as exc:
        Z.compute(scheduler=THREADS)
    assert "sequence 5," not in str(exc.value)


# ---------------------------------------------------- on a LocalCluster


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port
            env={"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"},
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def test_cluster_transform_ships_the_estimator_once_per_worker(client, ragged_set):
    model, _, X = ragged_set
    Z = skdask.transform(model, da.from_array(X, chunks=(5, -1, -1)))  # 8 chunks
    with get_task_stream(client) as tasks:
        first = Z.compute()
    second = Z.compute()
    np.testing.assert_allclose(first, model.transform(X), **FLOAT32)
    np.testing.assert_array_equal(second, first)
    # However many chunks a worker ran, in one compute or two, it unpickled
    # the estimator once (these are the workers' first estimators).
    ran = {task["worker"] for task in tasks.data}
    unpickled = client.run(_worker_unpickle_count)
    assert ran and all(unpickled[worker] == 1 for worker in ran)
    assert all(count <= 1 for count in unpickled.values())


def _worker_unpickle_count():
    import skseqae.dask

    return skseqae.dask._unpickle_count


LR = "lstmautoencodertransformer__learning_rate"
# One architecture (traced once per worker); the learning rate changes the fits.
SEARCHES = {
    "grid": lambda pipe: GridSearchCV(pipe, {LR: [1e-3, 3e-2]}, cv=2),
    "randomized": lambda pipe: RandomizedSearchCV(
        pipe, {LR: loguniform(1e-3, 3e-2)}, n_iter=2, cv=2, random_state=0
    ),
}


@pytest.mark.parametrize("kind", list(SEARCHES))
def test_cluster_search_equals_serial_search(client, kind):
    X = np.concatenate([sine_batch(24, 12, 2, seed=1), 0.5 * sine_batch(24, 12, 2)])
    y = np.repeat([0, 1], 24)

    def search():
        pipe = make_pipeline(LSTMAutoencoderTransformer(**TINY), LogisticRegression())
        return SEARCHES[kind](pipe)

    serial = search().fit(X, y)
    with get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        distributed = search().fit(X, y)
    assert tasks.data  # the fits ran on the workers
    assert distributed.best_params_ == serial.best_params_
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(
            distributed.cv_results_[key], serial.cv_results_[key]
        )
    np.testing.assert_array_equal(distributed.predict(X), serial.predict(X))


# ------------------------------------------------- training chunk by chunk


def test_incremental_on_cluster_equals_a_loop_over_chunks_on_disk(client, tmp_path):
    # dask-ml's Incremental indexes the blocks of 2-D arrays only: univariate
    # sequences, one per row, NaN-padded at the end.
    X = padded(ragged_batch(60, n_features=1, seed=5))[:, :, 0]
    np.save(tmp_path / "X.npy", X)
    on_disk = np.load(tmp_path / "X.npy", mmap_mode="r")
    params = dict(TINY, learning_rate=1e-2)

    loop = LSTMAutoencoderTransformer(**params)
    for start in range(0, len(on_disk), 20):  # one chunk in memory at a time
        loop.partial_fit(on_disk[start : start + 20])

    chunks = da.from_array(on_disk, chunks=(20, -1))
    incremental = Incremental(
        LSTMAutoencoderTransformer(**params), shuffle_blocks=False
    )
    with get_task_stream(client) as tasks:
        model = incremental.fit(chunks).estimator_
    assert {task["worker"] for task in tasks.data}  # trained on the workers
    assert model.n_iter_ == loop.n_iter_ == 3  # one pass per chunk
    # Across processes (one TensorFlow thread there, two here) float32
    # round-off may differ; three steps keep it small.
    np.testing.assert_allclose(model.history_["loss"], loop.history_["loss"], rtol=1e-4)
    np.testing.assert_allclose(
        model.transform(X), loop.transform(X), rtol=1e-3, atol=1e-4
    )

    first_pass = model.score(X)
    incremental.partial_fit(chunks)  # a second pass continues from the first
    assert incremental.estimator_.n_iter_ == 6
    assert incremental.estimator_.score(X) > first_pass


def test_loop_over_dask_blocks_trains_multivariate_sequences(ragged_set):
    _, _, X = ragged_set  # (40, 14, 2): dask-ml's Incremental takes 2-D only
    chunks = da.from_array(X, chunks=(10, -1, -1))
    model = LSTMAutoencoderTransformer(**TINY)
    for block in chunks.blocks:
        model.partial_fit(block.compute(scheduler=THREADS))
    reference = LSTMAutoencoderTransformer(**TINY)
    for start in range(0, 40, 10):
        reference.partial_fit(X[start : start + 10])
    assert model.n_iter_ == 4
    np.testing.assert_array_equal(model.transform(X), reference.transform(X))
