"""Speed and memory of skseqae against raw Keras and PyTorch: the entry point.

Every comparison is a ratio measured side by side in one run: absolute times
drift on a shared machine. The parts live in their own files, by what they
measure:

- ``speed_training.py``: ``users``, the default estimator against PyTorch
  models of the same architecture and of the seed tutorial's, on three shapes
  and a ragged set, with each library's default threads and with one thread,
  every cell in fresh processes (median of 3); ``fit``, the seed tutorial's
  architecture against its raw Keras code (end to end, steady epoch, fixed
  cost of a fit; tanh and relu); ``ragged``, lists against zero-padded arrays.
- ``speed_seed_profile.py``: ``seedprofile``, where a training step of the
  seed tutorial's network goes, ours and PyTorch's, side by side.
- ``speed_matrix.py``: ``matrix``, four networks (the seed tutorial's, the
  default, stacked, one direction) on the users' four shapes, each against
  the same network in PyTorch, every cell in fresh processes.
- ``speed_inference.py``: ``transform`` throughput against PyTorch's encoder
  under ``torch.no_grad`` and ``encoder_.predict``; ``latency`` of a
  one-sequence ``transform``; ``memory``, peak memory of ``transform`` as the
  data grow.
- ``speed_levers.py``: ``levers`` (batch size, row padding, chunk budgets,
  encodings) and ``profile`` (where a training step's time goes).
- ``speed_common.py``: data, timing, the table, the trainers compared.

This process keeps each library's default threads (what users get) unless
``--threads 1`` pins them.

Usage::

    python benchmarks/speed.py --quick       # ~15 minutes on 2 busy cores
    python benchmarks/speed.py               # the full run, about an hour
    python benchmarks/speed.py --parts users,latency

PyTorch is a benchmark-only dependency (``pip install torch==2.13.0``); its
comparisons are skipped without it. The memory part reads Linux's /proc.
"""

import argparse
import os
import sys
import time

import numpy as np
from speed_common import FULL, QUICK, Table, keras, note, single_threaded, tf
from speed_inference import memory_child, part_latency, part_memory, part_transform
from speed_levers import part_levers, part_profile
from speed_matrix import matrix_child, part_matrix
from speed_seed_profile import part_seed_profile
from speed_training import part_fit, part_ragged, part_users, users_child

PARTS = {
    "users": part_users,
    "matrix": part_matrix,
    "fit": part_fit,
    "transform": part_transform,
    "latency": part_latency,
    "ragged": part_ragged,
    "memory": part_memory,
    "levers": part_levers,
    "profile": part_profile,
    "seedprofile": part_seed_profile,
}
#: Parts that return lines printed after the table.
DETAILED = ("users", "matrix", "memory", "profile", "seedprofile")
CHILDREN = {"users": users_child, "matrix": matrix_child}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes: about 15 minutes"
    )
    parser.add_argument("--parts", default=",".join(PARTS), help=",".join(PARTS))
    parser.add_argument(
        "--threads",
        choices=("default", "1"),
        default="default",
        help="threads of this process's TensorFlow and PyTorch (default: theirs)",
    )
    parser.add_argument("--memory-child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import json

        threads, kind, *rest = args.child
        print(json.dumps(CHILDREN[kind](threads, *rest)))
        return
    if args.memory_child:
        layout, sizes, timesteps, chunk_bytes = args.memory_child
        sizes = [int(n) for n in sizes.split(",")]
        return memory_child(layout, sizes, int(timesteps), int(chunk_bytes))
    if args.threads == "1":
        single_threaded()
    cfg = QUICK if args.quick else FULL
    parts = args.parts.split(",")
    unknown = set(parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts {sorted(unknown)}; choose from {list(PARTS)}")
    start, table, details = time.perf_counter(), Table(), []
    rng = np.random.default_rng(0)
    load = os.getloadavg()[0]
    est = None
    for part in parts:
        note(f"part {part}")
        if part == "transform":
            est = part_transform(cfg, table, rng)
        elif part == "latency":
            part_latency(cfg, table, rng, est)
        else:
            found = PARTS[part](cfg, table, rng)
            details += found if part in DETAILED else []
    print(header(args, cfg, load, time.perf_counter() - start))
    table.print()
    print("\n".join(details))


def header(args, cfg, load, seconds):
    versions = f"TensorFlow {tf.__version__}, Keras {keras.__version__}"
    try:
        import torch

        versions += f", PyTorch {torch.__version__}"
    except ImportError:
        pass
    threads = "one thread" if args.threads == "1" else "default threads"
    return (
        f"`python benchmarks/speed.py {' '.join(sys.argv[1:])}`: "
        f"{'quick' if args.quick else 'full'} run, {seconds:.0f} s, {threads} "
        f"for TensorFlow and PyTorch in this process, load average {load:.1f} -> "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {versions}. "
        f"Ratios are of medians of interleaved repetitions ({cfg.reps} for fit).\n"
    )


if __name__ == "__main__":
    main()
