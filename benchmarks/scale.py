"""Scaling out with Dask: a search on a LocalCluster, and a transform of 10^6 sequences.

1. Search: ``GridSearchCV`` over ``Pipeline(LSTMAutoencoderTransformer,
   LogisticRegression)``, serially in this process and through joblib's
   ``dask`` backend on three ``LocalCluster`` set-ups: 2 worker processes
   with one thread each, with TensorFlow's default thread pools (sized by
   the machine's cores) and with ``TF_NUM_INTRAOP_THREADS=1`` and
   ``TF_NUM_INTEROP_THREADS=1`` passed to the workers; and 1 worker process
   with 2 threads. The first search on each ("cold") includes the one-off
   costs (TensorFlow's import in fresh workers, tracing per architecture);
   later ones ("warm") are interleaved across set-ups. The best parameters
   must be the same everywhere.
2. Transform: ``skseqae.dask.transform`` of a lazily generated dask array of
   ragged, NaN-padded sine waves (1,000,000 sequences; ``--quick``: 100,000)
   on a 2-worker cluster (one thread, one TF thread each), against
   ``transform`` of the same sequences held in memory in this process
   (TensorFlow's default threads: both cores). Both make the data inside
   the timed run, interleaved. The features are reduced on the workers
   (their mean), so the time is the transform's, not a copy to the client.
   Peak memory is each process's peak resident set size during the run
   (Linux's VmHWM, reset before it) minus its size before.

Everything is printed as ratios measured side by side in one run; absolute
times drift on a shared machine.

Usage::

    python benchmarks/scale.py --quick    # 2 minutes on 2 cores (load average 2-8)
    python benchmarks/scale.py            # 4 minutes (search 158 s, transform 80 s)
    python benchmarks/scale.py --parts transform
"""

import argparse
import contextlib
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


def timed_search(q, X, y, client=None):
    start = time.perf_counter()
    if client is None:
        search = make_search(q).fit(X, y)
    else:
        with joblib.parallel_backend("dask", client=client):
            search = make_search(q).fit(X, y)
    return time.perf_counter() - start, repr(search.best_params_)


def cluster(env=None, n_workers=2, threads=1):
    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=threads,
        processes=True,
        dashboard_address=":0",  # any free port
        env=env or {},
    )


CLUSTERS = {  # name: TF threads (None: TensorFlow's default), workers, threads each
    "2 workers x 1, TF default": (None, 2, 1),
    "2 workers x 1, 1 TF thread": (ONE_TF_THREAD, 2, 1),
    "1 worker x 2, 2 TF threads": (
        {"TF_NUM_INTRAOP_THREADS": "2", "TF_NUM_INTEROP_THREADS": "2"},
        1,
        2,
    ),
}


def part_search(q):
    X, y = sines(q["n_search"], q["t_search"], seed=0)
    n_fits = 4 * q["encodings"] * q["cv"]
    print(
        f"\n1. Search: {n_fits} fits + refit, {len(X)} sequences of {X.shape[1]} steps"
    )
    cold = {"serial": timed_search(q, X, y)}
    warm = {name: [] for name in ["serial", *CLUSTERS]}
    with contextlib.ExitStack() as stack:
        clients = {}
        for name, options in CLUSTERS.items():
            start = time.perf_counter()
            local = stack.enter_context(cluster(*options))
            clients[name] = stack.enter_context(Client(local))
            print(f"   {name}: started in {time.perf_counter() - start:.1f} s")
            cold[name] = timed_search(q, X, y, clients[name])
        for _ in range(q["reps"]):  # interleaved: the machine's load drifts
            warm["serial"].append(timed_search(q, X, y))
            for name, client in clients.items():
                warm[name].append(timed_search(q, X, y, client))
    t_serial = float(np.median([t for t, _ in warm["serial"]]))
    print(
        f"   {'':30s} {'1st run (cold)':>15s} {'later (warm)':>15s}  "
        "speed-up cold / warm"
    )
    for name in warm:
        t_cold, t_warm = cold[name][0], float(np.median([t for t, _ in warm[name]]))
        ratio = f"{cold['serial'][0] / t_cold:.2f}x / {t_serial / t_warm:.2f}x"
        print(f"   {name:30s} {t_cold:13.1f} s {t_warm:13.1f} s  {ratio}")
    best = {b for _, b in cold.values()} | {
        b for runs in warm.values() for _, b in runs
    }
    print(
        f"   warm: median of {q['reps']} interleaved runs; "
        "cold: the first in a fresh process"
    )
    print(
        f"   same best parameters in all runs: {len(best) == 1} ({cold['serial'][1]})"
    )


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
    model.transform(X[:chunk].compute())  # trace here first, as the workers do below
    times = {"in memory": [], "dask": []}
    with cluster(ONE_TF_THREAD) as c, Client(c) as client:
        Z = skseqae.dask.transform(model, X)
        Z[: 2 * chunk].mean(axis=0).compute()  # warm-up: unpickle + trace per worker
        for _ in range(q["reps"]):  # interleaved: the machine's load drifts
            base = reset_peak()
            start = time.perf_counter()
            X_mem = X.compute(scheduler="sync")  # made in this process, as a whole
            mean_mem = model.transform(X_mem).mean(axis=0)
            times["in memory"].append(time.perf_counter() - start)
            mem_peak = peak() - base
            del X_mem

            base = client.run(reset_peak)
            start = time.perf_counter()
            mean_dask = Z.mean(axis=0).compute()
            times["dask"].append(time.perf_counter() - start)
            peaks = client.run(peak)
            grew = max(peaks[w] - base[w] for w in peaks)
            worker_rss = max(peaks.values())
    assert np.allclose(mean_dask, mean_mem, rtol=1e-4, atol=1e-6), "results differ"
    t_mem, t_dask = (float(np.median(times[k])) for k in ("in memory", "dask"))
    whole = n * T_MAX * 4 + n * n_out * 8
    per_chunk = chunk * T_MAX * 4 + chunk * n_out * 8
    print(f"   median of {q['reps']} interleaved runs, data made inside each run:")
    print(f"   in memory, one process:  {n / t_mem:10,.0f} seq/s  ({t_mem:.1f} s)")
    print(f"   dask, 2 workers x 1:     {n / t_dask:10,.0f} seq/s  ({t_dask:.1f} s)")
    print(f"   throughput ratio dask / in memory: {t_mem / t_dask:.2f}")
    print(
        f"   peak memory growth: in memory {mem_peak / 2**20:.0f} MiB (last run), "
        f"largest dask worker {grew / 2**20:.0f} MiB "
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
        reps=3,
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
            reps=1,
        )
    if args.chunk:
        q["chunk"] = args.chunk
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.1f}; Python {sys.version[:6]}")
    start = time.perf_counter()
    if "search" in args.parts:
        part_search(q)
    if "transform" in args.parts:
        part_transform(q)
    load = os.getloadavg()[0]
    print(f"\ntotal {time.perf_counter() - start:.0f} s; load average now {load:.1f}")


if __name__ == "__main__":
    main()
