"""Serving an exported model in onnxruntime against ``transform`` in TensorFlow.

Both run side by side in one process, interleaved (A B A B ...), each with
one thread (onnxruntime's ``intra_op_num_threads=1``; TensorFlow's intra- and
inter-op pools of 1), and are reported as medians and their ratio: absolute
times drift on a shared machine. The model is the library's default
``LSTMAutoencoderTransformer`` (64 units, the ``last_mean_max`` code), fitted
for a few epochs (speed does not depend on the weights' values) on:

- GunPoint: 150 steps, 1 feature, equal lengths;
- JapaneseVowels: 7-29 steps, 12 features, ragged (NaN-padded for onnxruntime,
  a list for ``transform``).

1. Latency of one sequence: ``transform`` and ``session.run``; also a whole
   Pipeline (autoencoder, StandardScaler, LogisticRegression):
   ``predict_proba`` against the exported pipeline.
2. Batch throughput (sequences per second) on each test split.
3. Import time of ``onnxruntime`` against ``tensorflow``, and against
   ``skseqae`` with the TensorFlow it imports on first use, each in a fresh
   interpreter, interleaved.
4. Installed size of what each needs: the files of a distribution and of all
   it requires, recursively, read from the installed packages' RECORDs.

Usage::

    python benchmarks/serving.py            # about 3 minutes on 2 busy cores
    python benchmarks/serving.py --rounds 50 --no-env  # latency and throughput

Needs the ``onnx`` extra and onnxruntime (``pip install skseqae[onnx]
onnxruntime``).
"""

import argparse
import importlib.metadata as md
import os
import re
import subprocess
import sys
import time
import warnings

import numpy as np

from skseqae._backend import tf  # noqa: I001  (configured before any op runs)

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)

import onnxruntime as ort  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skseqae import LSTMAutoencoderTransformer, to_onnx  # noqa: E402
from skseqae._sequences import padded  # noqa: E402
from skseqae.datasets import load_dataset  # noqa: E402


def session(model):
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return ort.InferenceSession(
        to_onnx(model).SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def interleaved(calls, rounds):
    """Median wall and CPU seconds per call of each callable, alternating.

    CPU time (of the whole process) hardly depends on how busy the machine
    is, wall time does: both are reported.
    """
    for call in calls.values():
        call()  # warm up: tracing, first-run allocation
    times = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            wall, cpu = time.perf_counter(), time.process_time()
            call()
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
    return {name: np.median(t, axis=0) for name, t in times.items()}


def fitted(name, epochs):
    X_train, y_train, X_test, _ = load_dataset(name, layout="list")
    ae = LSTMAutoencoderTransformer(epochs=epochs, random_state=0)
    pipe = make_pipeline(ae, StandardScaler(), LogisticRegression(max_iter=1000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LogisticRegression on barely-fit codes
        pipe.fit(X_train, y_train)
    return pipe, X_test


def serving(name, epochs, rounds):
    pipe, X_test = fitted(name, epochs)
    ae, X = pipe[0], padded(X_test)
    encoder, whole = session(ae), session(pipe)
    one_list, one = X_test[:1], X[:1, : len(X_test[0])]
    worst = np.abs(encoder.run(None, {"sequences": X})[0] - ae.transform(X_test)).max()
    print(
        f"\n{name}: {len(X_test)} test sequences, {X.shape[1]} steps at most, "
        f"{X.shape[2]} feature(s); max |onnx - transform| = {worst:.1e}"
    )
    latency = interleaved(
        {
            "transform": lambda: ae.transform(one_list),
            "onnx": lambda: encoder.run(None, {"sequences": one}),
            "predict_proba": lambda: pipe.predict_proba(one_list),
            "onnx pipeline": lambda: whole.run(None, {"sequences": one}),
        },
        rounds,
    )
    for what, tf_name, onnx_name in (
        ("features", "transform", "onnx"),
        ("pipeline", "predict_proba", "onnx pipeline"),
    ):
        (t, t_cpu), (o, o_cpu) = latency[tf_name], latency[onnx_name]
        print(
            f"  one sequence, {what}: {tf_name} {t * 1e3:.2f} ms "
            f"(CPU {t_cpu * 1e3:.2f} ms), onnxruntime {o * 1e3:.3f} ms "
            f"(CPU {o_cpu * 1e3:.3f} ms): {t / o:.0f}x"
        )
    batch = interleaved(
        {
            "transform": lambda: ae.transform(X_test),
            "onnx": lambda: encoder.run(None, {"sequences": X}),
        },
        max(3, rounds // 20),
    )
    t, o = (len(X) / batch[k][0] for k in ("transform", "onnx"))
    print(
        f"  batch of {len(X)}: transform {t:,.0f} seq/s, onnxruntime {o:,.0f} "
        f"seq/s ({o / t:.1f}x)"
    )


def import_times(rounds):
    # skseqae imports TensorFlow lazily: skseqae._backend is what transform needs.
    modules = ("onnxruntime", "tensorflow", "skseqae, skseqae._backend")
    code = "import time; t = time.perf_counter(); import {}; "
    code += "print(time.perf_counter() - t)"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    times = {m: [] for m in modules}
    for _ in range(rounds):
        for m in modules:
            out = subprocess.run(
                [sys.executable, "-c", code.format(m)],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            )
            times[m].append(float(out.stdout.split()[-1]))
    return {m: float(np.median(t)) for m, t in times.items()}


def closure(root):
    """The distributions ``root`` needs (its requirements, recursively)."""
    seen, todo = {}, [root]
    while todo:
        name = re.split(r"[ ;<>=!~\[(]", todo.pop(), maxsplit=1)[0]
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue  # an optional requirement that is not installed
        seen[key] = dist
        for req in dist.requires or ():
            if ";" not in req or _marker_holds(req.split(";", 1)[1]):
                todo.append(req)
    return seen


def _marker_holds(marker):
    from packaging.markers import Marker

    return Marker(marker).evaluate({"extra": ""})


def installed_mb(root):
    dists = closure(root)
    total = 0
    for dist in dists.values():
        for file in dist.files or ():
            path = file.locate()
            if os.path.isfile(path):
                total += os.path.getsize(path)
    return total / 2**20, len(dists)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="latency rounds")
    parser.add_argument("--epochs", type=int, default=3, help="training epochs")
    parser.add_argument(
        "--no-env", action="store_true", help="skip import times and sizes"
    )
    args = parser.parse_args()
    print(
        f"onnxruntime {ort.__version__}, tensorflow {tf.__version__}, one thread each"
    )
    for name in ("gunpoint", "japanesevowels"):
        serving(name, args.epochs, args.rounds)
    if args.no_env:
        return
    times = import_times(5)
    print("\nimport time (median of 5 fresh interpreters):")
    for module, seconds in times.items():
        print(f"  import {module}: {seconds:.2f} s")
    print("\ninstalled size (the distribution and all it requires):")
    for root in ("onnxruntime", "tensorflow", "skseqae"):
        mb, n = installed_mb(root)
        print(f"  {root}: {mb:,.0f} MB in {n} distributions")


if __name__ == "__main__":
    main()
