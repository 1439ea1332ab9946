"""Training core: fixed cost of a fit, epoch time, and fits in threads.

Runs the same measurements on this checkout and, with ``--against PATH``,
on another checkout of skseqae (e.g. ``git worktree add /tmp/old <commit>``),
each in its own subprocess, interleaved (A B A B ...), and prints ratios:
absolute times drift on a shared machine. TensorFlow runs one intra-op
thread per fit, so that two fits in two threads can use two cores.

1. A fit of a new architecture (tracing included), and the fixed cost of a
   fit of a cached one (64 sequences of 20 steps, 7 units, 1 epoch; CPU
   time, the least disturbed by other processes).
2. One epoch on the seed tutorial's shape: 1024 sequences of 140 steps,
   1 feature, batches of 32, 100 units (CPU time of the fastest of 3).
3. Two fits (256 x 140, 32 units, 2 epochs) one after the other, then in
   two threads at once: wall-time speed-up.

Usage::

    python benchmarks/training.py                  # this checkout, ~3 min
    python benchmarks/training.py --against /tmp/old --reps 2
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import json, sys, threading, time
sys.path.insert(0, REPO)
import numpy as np
from skseqae._backend import keras, tf
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(2)
from skseqae import LSTMAutoencoderTransformer as AE

rng = np.random.default_rng(0)
t = np.arange(140)[None, :, None]
freq, phase = rng.uniform(0.1, 0.4, (1024, 1, 1)), rng.uniform(0, 6.3, (1024, 1, 1))
X = np.sin(freq * t + phase).astype("float32")
small = X[:64, :20]
out = {}

start = time.perf_counter()
AE(units=7, epochs=1, random_state=0).fit(small)
out["new architecture, wall s"] = time.perf_counter() - start
cpu = []
for seed in range(7):
    start = time.process_time()
    AE(units=7, epochs=1, random_state=seed).fit(small)
    cpu.append(time.process_time() - start)
out["fit of a cached architecture, CPU s"] = min(cpu)


class Timer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.cpu = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.cpu.append(time.process_time() - self.start)


seed_shape = dict(units=100, encoding="last", validation_fraction=None, patience=None)
AE(epochs=1, random_state=0, **seed_shape).fit(X[:32])  # trace
timer = Timer()
AE(epochs=3, random_state=0, callbacks=[timer], **seed_shape).fit(X)
out["epoch on the seed shape, CPU s"] = min(timer.cpu)

kw = dict(units=32, epochs=2, validation_fraction=None, patience=None)
AE(random_state=0, **kw).fit(X[:32])  # trace
start = time.perf_counter()
for seed in (0, 1):
    AE(random_state=seed, **kw).fit(X[:256])
serial = time.perf_counter() - start
threads = [
    threading.Thread(target=AE(random_state=seed, **kw).fit, args=(X[:256],))
    for seed in (0, 1)
]
start = time.perf_counter()
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
out["two fits in two threads, speed-up"] = serial / (time.perf_counter() - start)
print("RESULT" + json.dumps(out))
"""


def measure(repo):
    code = CHILD.replace("REPO", repr(repo))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd="/"
    )
    lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT")]
    if not lines:
        raise SystemExit(f"measurement failed in {repo}:\n{done.stderr[-3000:]}")
    return json.loads(lines[0][len("RESULT") :])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="another checkout of skseqae")
    parser.add_argument("--reps", type=int, default=1)
    args = parser.parse_args()
    repos = {"this": HERE}
    if args.against:
        repos["other"] = os.path.abspath(args.against)
    results = {name: [] for name in repos}
    for _ in range(args.reps):
        for name, repo in repos.items():
            results[name].append(measure(repo))
    for key in results["this"][0]:
        this = np.median([r[key] for r in results["this"]])
        line = f"{key}: {this:.3f}"
        if args.against:
            other = np.median([r[key] for r in results["other"]])
            line += f" (other {other:.3f}, this/other {this / other:.2f})"
        print(line)


if __name__ == "__main__":
    main()
