"""Inference speed and memory: ``transform`` throughput and one-sequence
latency against PyTorch (``torch.no_grad``) and Keras' ``predict``, and the
peak memory of ``transform`` as the data grow (each case in a fresh process).
"""

import collections
import gc
import json
import os
import subprocess
import sys
import time
import tracemalloc
from functools import partial

import numpy as np
from speed_common import (
    HERE,
    UNITS,
    LSTMAutoencoderTransformer,
    _compiled,
    _inference,
    ecg_like,
    fit_ours,
    fitted,
    has_torch,
    interleaved,
    keras,
    note,
    patched,
    ragged_data,
    seed_model,
    single_threaded,
    tf,
    timings,
    torch_autoencoder,
)


def seed_encoder(timesteps):
    """The seed tutorial's way: ``Model(model.inputs, model.layers[0].output)``."""
    model = seed_model(timesteps, "tanh")
    return keras.Model(model.inputs, model.layers[0].output)


def default_fitted(cfg, rng, **params):
    """The default estimator (one epoch: inference speed does not need more)."""
    X = ecg_like(128, cfg.timesteps, rng)
    return LSTMAutoencoderTransformer(epochs=1, random_state=0, **params).fit(X)


def torch_encoder(est):
    """PyTorch's encoder of ``est``'s architecture, called under ``no_grad``."""
    import torch

    spec = est._spec
    model = torch_autoencoder(
        spec.n_features,
        spec.units[-1],
        spec.encoding,
        bidirectional=getattr(spec, "bidirectional", False),
        pool=getattr(spec, "pool", 1),
    ).eval()

    def encode(X, batch_size=1024):
        with torch.no_grad():
            return np.concatenate(
                [
                    model.encode(torch.from_numpy(X[i : i + batch_size])).numpy()
                    for i in range(0, len(X), batch_size)
                ]
            )

    return encode


def part_transform(cfg, table, rng):
    est = default_fitted(cfg, rng)
    X = ecg_like(cfg.n_transform, cfg.timesteps, rng)
    seed = seed_encoder(cfg.timesteps)
    calls = {
        "transform": est.transform,
        "encoder_.predict": lambda x: est.encoder_.predict(x, verbose=0),
        "seed": lambda x: seed.predict(x, verbose=0),
    }
    if has_torch():
        calls["torch"] = torch_encoder(est)
    for fn in calls.values():
        fn(X[:64])
    reps = cfg.reps
    note(f"transform: {len(calls)} variants x {reps} reps, {len(X)} sequences")
    variants = {k: lambda f=f: timings(lambda: f(X), 1)[0] for k, f in calls.items()}
    rate = {k: len(X) / np.median(v) for k, v in interleaved(variants, reps).items()}
    what = (
        f"transform throughput, default estimator (H {est._spec.units[-1]}), "
        f"n={len(X)}, T={cfg.timesteps}"
    )
    if "torch" in rate:
        table.add(
            "3",
            f"{what}, vs PyTorch's encoder of the same architecture (no_grad, "
            "batches of 1024)",
            rate["transform"],
            rate["torch"],
            "seq/s",
            ">= 1.0",
        )
    table.add(
        "3",
        f"{what}, vs est.encoder_.predict",
        rate["transform"],
        rate["encoder_.predict"],
        "seq/s",
        ">= 2.5",
    )
    table.add(
        "3",
        f"{what}, vs the raw Keras seed encoder's .predict",
        rate["transform"],
        rate["seed"],
        "seq/s",
    )
    return est


def part_latency(cfg, table, rng, est=None):
    """One-sequence transform: the default estimator and the seed's size.

    Wall time is what a user waits; CPU time (all of the process's threads)
    is printed beside it because on a busy machine the wall time also holds
    the time the process waited for a core.
    """
    est = est or default_fitted(cfg, rng)
    seed_est = fitted(cfg, rng)
    x = ecg_like(1, cfg.timesteps, rng)
    calls = {  # name: (function, calls per block)
        "default": (lambda: est.transform(x), 20),
        "seed": (lambda: seed_est.transform(x), 20),
        "predict": (lambda: est.encoder_.predict(x, verbose=0), 1),
        "graph": (bare_encoder_graph(est, x), 20),
    }
    if has_torch():
        encode, encode_seed = torch_encoder(est), torch_encoder(seed_est)
        calls["torch"] = (lambda: encode(x), 20)
        calls["torch seed"] = (lambda: encode_seed(x), 20)
    ms, cpu = latencies(calls)
    units = f"H {est._spec.units[-1]}, T {cfg.timesteps}"
    ref = ms.get("torch", np.nan)
    what = (
        f"one-sequence transform latency, default estimator ({units}; median "
        f"of 200, CPU {cpu['default']:.2f} ms), vs PyTorch same arch no_grad "
        f"(CPU {cpu.get('torch', np.nan):.2f} ms)"
    )
    table.add("4", what, ms["default"], ref, "ms", "< 1 ms", absolute=True)
    what = (
        f"one-sequence transform latency, seed size (H {UNITS}, last state; CPU "
        f"{cpu['seed']:.2f} ms), vs PyTorch seed-style no_grad"
    )
    table.add("4", what, ms["seed"], ms.get("torch seed", np.nan), "ms", "< 1 ms",
              absolute=True)  # fmt: skip
    what = "one-sequence transform latency, default estimator, vs encoder_.predict"
    table.add("4", what, ms["default"], ms["predict"], "ms")
    what = "one-sequence transform latency, default estimator, vs its traced graph"
    table.add("4", what, ms["default"], ms["graph"], "ms")


def bare_encoder_graph(est, x):
    """transform's traced encoder, called directly on the tensor (no Python)."""
    arch = _compiled.architecture(est._spec)
    run = partial(arch.run, "encoder", est._weights())
    rows = tf.constant(_inference._pad_rows(x))
    return lambda: run(rows)


def latencies(calls, blocks=10):
    """Median wall and CPU ms per call; interleaved blocks of each function."""
    for fn, _ in calls.values():
        fn()
    wall, cpu = {k: [] for k in calls}, {k: [] for k in calls}
    for _ in range(blocks):
        for name, (fn, repeat) in calls.items():
            for _ in range(repeat):
                start, start_cpu = time.perf_counter(), time.process_time()
                fn()
                wall[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
    return tuple(
        {k: 1e3 * float(np.median(v)) for k, v in d.items()} for d in (wall, cpu)
    )


def part_memory(cfg, table, rng):
    """Peak memory of transform, each case in a fresh process.

    The numpy-side peak (tracemalloc) is measured at two sizes and its growth
    per sequence compared with the output's size. The peak resident set also
    holds TensorFlow's activations of one chunk (7 floats per unit and step:
    the fused kernel keeps all gates), bounded by ``_inference.CHUNK_BYTES``.
    """
    small, large = cfg.memory_sizes
    now = _inference.CHUNK_BYTES
    cases = [("array", now), ("list", now)]
    cases += [("array", 4 * now)] if cfg.extras else []
    found = {}
    for layout, chunk_bytes in cases:
        note(
            f"memory: transform of {large} and {small} sequences ({layout}, "
            f"chunks of {chunk_bytes >> 20} MB), in a subprocess"
        )
        found[layout, chunk_bytes] = memory_in_subprocess(
            layout, cfg.memory_sizes, cfg.timesteps, chunk_bytes
        )
    for layout in ("array", "list"):
        memory_rows(table, found[layout, now], layout, cfg.memory_sizes)
    if cfg.extras:
        rss = found["array", 4 * now]["rss"], found["array", now]["rss"]
        what = (
            f"lever: transform peak RSS (n={large}), chunks of {4 * now >> 20} MB "
            f"vs {now >> 20} MB (now)"
        )
        table.add("L", what, rss[0] / 1e6, rss[1] / 1e6, "MB")
    return memory_details(found, cfg.memory_sizes)


def memory_rows(table, found, layout, sizes):
    """Growth of the numpy-side peak per sequence, against what it must hold.

    transform must hold its output twice (float32 from the model, float64
    returned): 1.5 x the returned bytes. A padded copy of the input would add
    ``padded`` bytes per sequence on top; the target says it is not there.
    """
    (small, large), r = sizes, found
    per = {k: (v[1] - v[0]) / (large - small) for k, v in r.items() if k != "rss"}
    must = 1.5 * per["output"]
    shape = "T=140 float32 array" if layout == "array" else "ragged list, max 400"
    what = (
        f"transform numpy-side peak memory growth per sequence, {shape} (ratio: "
        "to the float32 + float64 output)"
    )
    ref = f"output {must:.0f} B; a padded copy: +{per['padded']:.0f} B"
    target = f"< {(must + per['padded']) / must:.2f} (no padded copy)"
    table.add(
        "7",
        what,
        f"{per['numpy']:.0f} B",
        ref,
        target=target,
        ratio=per["numpy"] / must,
    )
    what = f"transform peak RSS increase, n={large}, {shape} (ratio: to the output)"
    table.add(
        "7",
        what,
        r["rss"] / 1e6,
        r["output"][1] / 1e6,
        "MB",
        ratio=r["rss"] / r["output"][1],
    )


def memory_details(found, sizes):
    lines = ["", "Transform memory (MB; RSS: above the resident set before it):"]
    for (layout, chunk_bytes), r in found.items():
        for i, n in enumerate(sizes):
            rss = f"peak RSS +{r['rss'] / 1e6:.1f}, " if i == 1 else ""
            lines.append(
                f"- {layout}, n={n}, chunks of {chunk_bytes >> 20} MB: {rss}numpy "
                f"peak {r['numpy'][i] / 1e6:.1f}; input {r['input'][i] / 1e6:.1f}, "
                f"output {r['output'][i] / 1e6:.1f}, input padded to the "
                f"longest {r['padded'][i] / 1e6:.1f}"
            )
    return lines


def memory_in_subprocess(layout, sizes, timesteps, chunk_bytes):
    args = [layout, ",".join(map(str, sizes)), str(timesteps), str(chunk_bytes)]
    cmd = [sys.executable, os.path.join(HERE, "speed.py"), "--memory-child", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory_child(layout, sizes, timesteps, chunk_bytes):
    """Print transform's peak memory as JSON: RSS for the largest of ``sizes``
    (measured first, in this fresh process), numpy-side peaks for each."""
    single_threaded()
    rng = np.random.default_rng(0)
    est = fit_ours(ecg_like(64, timesteps, rng), 1)[1]
    make = ecg_like if layout == "array" else lambda n, _, rng: ragged_data(n, rng)
    found = collections.defaultdict(list)
    with patched(_inference, "CHUNK_BYTES", chunk_bytes):
        est.transform(make(100, timesteps, rng))
        for n in sorted(sizes, reverse=True):
            X = make(n, timesteps, rng)
            if "rss" not in found:
                found["rss"] = _peak_rss(est.transform, X)
            tracemalloc.start()
            out = est.transform(X)
            found["numpy"].insert(0, tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
            found["output"].insert(0, out.nbytes)
            found["input"].insert(0, sum(np.asarray(x).nbytes for x in X))
            found["padded"].insert(0, n * max(len(x) for x in X) * 4)
            del X, out
    print(json.dumps(found))


def _peak_rss(fn, *args):
    gc.collect()
    base = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets the peak resident set (VmHWM) to the current one
    fn(*args)
    return _status("VmHWM") - base


def _status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)
