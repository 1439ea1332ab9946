"""Scaling out with Dask: a search on a LocalCluster, and a transform of 10^6 sequences.

1. Search: ``GridSearchCV`` over ``Pipeline(LSTMAutoencoderTransformer,
   LogisticRegression)``, run serially in this process and through joblib's
   ``dask`` backend on a ``LocalCluster`` of 2 worker processes with one
   thread each, once with TensorFlow's default thread pools in the workers
   and once with ``TF_NUM_INTRAOP_THREADS=1``/``TF_NUM_INTEROP_THREADS=1``
   passed to them. Each search runs twice: the first includes the one-off
   costs (TensorFlow's import in fresh workers, tracing per architecture),
   the second reuses them. The best parameters must be the same.
2. Transform: ``skseqae.dask.transform`` of a lazily generated dask array of
   ragged, NaN-padded sine waves (1,000,000 sequences; ``--quick``: 100,000)
   on the same 2-worker cluster, against ``transform`` of the same sequences
   held in memory in this process (TensorFlow's default threads: both
   cores). The features are reduced on the workers (their mean), so the
   time is the transform's, not a copy to the client. Peak memory is each
   process's peak resident set size during the run (Linux's VmHWM, reset
   before it) minus its size before.

Everything is printed as ratios measured side by side in one run; absolute
times drift on a shared machine.

Usage::

    python benchmarks/scale.py --quick    # about 3 minutes on 2 cores
    python benchmarks/scale.py            # about 6 minutes on 2 cores
"""

import argparse
import os
import sys
import time

import dask.array as da
import joblib
import numpy as np
from distributed import Client, LocalCluster
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

import skseqae.dask
from skseqae import LSTMAutoencoderTransformer

ONE_TF_THREAD = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
T_MAX = 8  # steps of the longest transformed sequence (short: 10^6 in minutes)


def sines(n, length, seed, ragged=False):
    """Noisy sine waves, two classes by frequency, (n, length, 1) float32.

    Ragged: lengths drawn from [length // 2, length], NaN-padded at the end.
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    freq = np.where(labels, 0.35, 0.2)[:, None] + rng.normal(0, 0.03, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    t = np.arange(length)[None, :]
    X = np.sin(freq * t + phase) + 0.1 * rng.standard_normal((n, length))
    if ragged:
        lengths = rng.integers(length // 2, length + 1, n)
        X[t >= lengths[:, None]] = np.nan
    return X[:, :, None].astype(np.float32), labels


def lazy_sines(n, chunk):
    """A dask array of ``n`` ragged sequences, each chunk made when computed."""
    chunks = (chunk,) * (n // chunk) + ((n % chunk,) if n % chunk else ())

    def block(block_info=None):
        info = block_info[None]
        rows = info["chunk-shape"][0]
        return sines(rows, T_MAX, seed=info["chunk-location"][0], ragged=True)[0]

    return da.map_blocks(
        block,
        chunks=(chunks, (T_MAX,), (1,)),
        dtype=np.float32,
        meta=np.empty((0,) * 3),
    )


# ------------------------------------------------------------------ memory


def reset_peak():
    """Reset this process's peak RSS (Linux); return the current RSS in bytes."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status("VmRSS")


def peak():
    return _status("VmHWM")


def _status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status (Linux only)")


# ------------------------------------------------------------------ search


def make_search(q):
    pipe = make_pipeline(
        LSTMAutoencoderTransformer(
            units=8, epochs=q["epochs"], validation_fraction=None, random_state=0
        ),
        LogisticRegression(max_iter=1000),
    )
    grid = {
        "lstmautoencodertransformer__units": [4, 8],
        "lstmautoencodertransformer__learning_rate": [1e-3, 1e-2],
        "lstmautoencodertransformer__encoding": ["last", "mean_max"][: q["encodings"]],
    }
    return GridSearchCV(pipe, grid, cv=q["cv"])


def timed_search(q, X, y, backend=None):
    start = time.perf_counter()
    if backend is None:
        search = make_search(q).fit(X, y)
    else:
        with joblib.parallel_backend(backend):
            search = make_search(q).fit(X, y)
    return time.perf_counter() - start, search.best_params_


def cluster(env=None):
    return LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        env=env or {},
    )


def part_search(q):
    X, y = sines(q["n_search"], q["t_search"], seed=0)
    n_fits = 4 * q["encodings"] * q["cv"]
    print(
        f"\n1. Search: {n_fits} fits + refit, {len(X)} sequences of {X.shape[1]} steps"
    )
    rows, best = {}, {}
    rows["serial"] = [timed_search(q, X, y) for _ in range(2)]
    for name, env in (
        ("cluster, TF default threads", None),
        ("cluster, 1 TF thread", ONE_TF_THREAD),
    ):
        start = time.perf_counter()
        with cluster(env) as c, Client(c):
            started = time.perf_counter() - start
            rows[name] = [timed_search(q, X, y, "dask") for _ in range(2)]
        print(f"   {name}: cluster started in {started:.1f} s")
    serial = rows["serial"]
    print(
        f"   {'':30s} {'1st run (cold)':>16s} {'2nd run (warm)':>16s}  speed-up cold / warm"
    )
    for name, runs in rows.items():
        (t1, b1), (t2, b2) = runs
        best[name] = (b1, b2)
        ratio = f"{serial[0][0] / t1:.2f}x / {serial[1][0] / t2:.2f}x"
        print(f"   {name:30s} {t1:14.1f} s {t2:14.1f} s  {ratio}")
    same = len({repr(b) for pair in best.values() for b in pair}) == 1
    print(f"   same best parameters in all runs: {same} ({serial[0][1]})")


# --------------------------------------------------------------- transform


def part_transform(q):
    n, chunk = q["n_transform"], q["chunk"]
    X_fit, _ = sines(512, T_MAX, seed=1, ragged=True)
    model = LSTMAutoencoderTransformer(units=8, epochs=3, random_state=0).fit(X_fit)
    n_out = len(model.get_feature_names_out())
    print(
        f"\n2. Transform: {n:,} ragged sequences of {T_MAX // 2}-{T_MAX} steps, "
        f"chunks of {chunk:,}, {n_out} features (units=8)"
    )
    X = lazy_sines(n, chunk)

    # In memory, in this process: the whole array, then transform.
    model.transform(X[:chunk].compute())  # trace first, as the workers do below
    X_mem = X.compute(scheduler="sync")
    base = reset_peak()
    start = time.perf_counter()
    Z_mem = model.transform(X_mem)
    t_mem = time.perf_counter() - start
    mem_peak = peak() - base + X_mem.nbytes  # the input counts: it sits in memory
    mean_mem = Z_mem.mean(axis=0)
    del X_mem, Z_mem

    with cluster(ONE_TF_THREAD) as c, Client(c) as client:
        Z = skseqae.dask.transform(model, X)
        Z[: 2 * chunk].mean(axis=0).compute()  # warm-up: unpickle + trace per worker
        base = client.run(reset_peak)
        start = time.perf_counter()
        mean_dask = Z.mean(axis=0).compute()
        t_dask = time.perf_counter() - start
        peaks = client.run(peak)
        grew = max(peaks[w] - base[w] for w in peaks)
        worker_rss = max(peaks.values())
    assert np.allclose(mean_dask, mean_mem, rtol=1e-4, atol=1e-6), "results differ"
    whole = n * T_MAX * 4 + n * n_out * 8
    per_chunk = chunk * T_MAX * 4 + chunk * n_out * 8
    print(f"   in memory, one process:  {n / t_mem:10,.0f} seq/s  ({t_mem:.1f} s)")
    print(f"   dask, 2 workers x 1:     {n / t_dask:10,.0f} seq/s  ({t_dask:.1f} s)")
    print(f"   throughput ratio dask / in memory: {t_mem / t_dask:.2f}")
    print(
        f"   peak memory growth: in memory {mem_peak / 2**20:.0f} MiB (input "
        f"included), largest dask worker {grew / 2**20:.0f} MiB "
        f"(ratio {grew / mem_peak:.3f}); worker peak RSS {worker_rss / 2**20:.0f} MiB"
    )
    print(
        f"   for scale: input + features of one chunk {per_chunk / 2**20:.1f} MiB, "
        f"of all {n:,} sequences {whole / 2**20:.0f} MiB"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--parts", default="search,transform")
    parser.add_argument("--chunk", type=int, default=None, help="sequences per chunk")
    args = parser.parse_args()
    q = dict(
        n_search=96,
        t_search=40,
        epochs=5,
        encodings=2,
        cv=3,
        n_transform=1_000_000,
        chunk=50_000,
    )
    if args.quick:
        q.update(
            n_search=48,
            t_search=20,
            epochs=2,
            encodings=1,
            cv=2,
            n_transform=100_000,
            chunk=10_000,
        )
    if args.chunk:
        q["chunk"] = args.chunk
    print(
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; Python {sys.version.split()[0]}"
    )
    start = time.perf_counter()
    if "search" in args.parts:
        part_search(q)
    if "transform" in args.parts:
        part_transform(q)
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
