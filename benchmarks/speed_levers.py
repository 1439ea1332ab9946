"""What could change speed (levers) and where the time goes (profile).

Levers: batch size, padding a single sequence to 8 rows, the decoder's
input product computed once per sequence (``FastLSTM(repeated_input=True)``
against the per-step product it replaced), and (full run) the chunk budget
and the pooled encodings. Profile: a training step split into Python, graph
and TensorFlow ops, and one fused LSTM layer against PyTorch's.
"""

import collections
import cProfile
import glob
import os
import pstats
import shutil
import tempfile

import numpy as np
from speed_common import (
    ENCODINGS,
    SEED_ENCODING,
    UNITS,
    _compiled,
    _inference,
    ecg_like,
    fit_ours,
    fitted,
    has_torch,
    interleaved,
    keras,
    note,
    ours,
    tf,
    timings,
    torch_autoencoder,
    with_chunk_bytes,
    without_row_padding,
)
from speed_inference import latencies

from skseqae import _training
from skseqae._sequences import as_sequences


def part_levers(cfg, table, rng):
    batch_sizes(cfg, table, rng)
    est = fitted(cfg, rng)
    x = ecg_like(1, cfg.timesteps, rng)
    calls = {
        "now": (lambda: est.transform(x), 20),
        "no row padding": (lambda: without_row_padding(est.transform, x), 20),
    }
    ms, _ = latencies(calls)
    what = "lever: one-sequence transform latency, no padding to 8 rows vs now"
    table.add("L", what, ms["no row padding"], ms["now"], "ms")
    decoder_input(cfg, table, rng)
    if cfg.extras:
        chunk_budgets(cfg, table, rng, est)
        if SEED_ENCODING:
            encodings(cfg, table, rng)


def decoder_input(cfg, table, rng, batch=32):
    """The decoder's input product once per sequence, against once per step.

    The first decoder LSTM reads the same code at every step, so
    ``FastLSTM(repeated_input=True)`` computes ``code @ kernel`` once and
    lets the fused kernel add it at every step: in training through each
    step's batch identity matrix with the product as the weight ("batch
    identity"), in inference and for larger training batches through a
    ``4 * units`` identity weight with the product as the input ("gates
    identity"). The same maths and weights
    as reading the code at every step (checked here to float32 round-off).
    Forward and backward of that layer each way, same weights, for the
    default code of 64 and of 100 units (6 x units wide) over
    ``timesteps / 2`` pooled steps.
    """
    steps = -(-cfg.timesteps // 2)
    for units in (64, 100):
        variants = _decoder_input_variants(rng, batch, steps, units)
        results = {k: f() for k, f in variants.items()}
        h_ref, g_ref = results.pop("per step")
        for h, g in results.values():
            np.testing.assert_allclose(h, h_ref, atol=1e-5)
            for a, b in zip(g, g_ref):
                np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(b).max())
        note(f"levers: decoder input product once per sequence, {units} units")
        runs = interleaved(
            {
                k: lambda f=f: np.median(timings(lambda: f()[0].numpy(), 20))
                for k, f in variants.items()
            },
            cfg.step_reps,
        )
        ms = {k: np.median(v) * 1e3 for k, v in runs.items()}
        for way in ("batch identity", "gates identity"):
            what = (
                f"lever: first decoder LSTM forward + backward, {units} units, "
                f"code {6 * units} wide, T {steps}, B {batch}: input product once "
                f"per sequence through the {way} vs once per step"
            )
            table.add("L", what, ms[way], ms["per step"], "ms")


def _decoder_input_variants(rng, batch, steps, units):
    """Traced forward + backward of ``FastLSTM`` three ways, same weights."""
    from skseqae._layers import FastLSTM

    width = 6 * units
    code = tf.constant(rng.normal(size=(batch, width)).astype(np.float32))
    x = tf.repeat(code[:, None, :], steps, axis=1)
    ways = {  # name: (repeated_input, training); training picks the path
        "per step": (False, True),
        "batch identity": (True, True),
        "gates identity": (True, False),
    }
    layers = {
        name: FastLSTM(units, return_sequences=True, repeated_input=repeated)
        for name, (repeated, _) in ways.items()
    }
    for layer in layers.values():
        layer.build(x.shape)
        layer.set_weights(layers["per step"].get_weights())

    def forward_backward(layer, training):
        with tf.GradientTape() as tape:
            h = layer(x, training=training)
            loss = tf.reduce_sum(h * h)
        return h, tape.gradient(loss, layer.trainable_variables)

    return {
        name: tf.function(
            lambda layer=layers[name], training=ways[name][1]: forward_backward(
                layer, training
            )
        )
        for name in ways
    }


def chunk_budgets(cfg, table, rng, est):
    X = ecg_like(cfg.n_ragged_transform, cfg.timesteps, rng)
    now = _inference.CHUNK_BYTES
    variants = {
        size: lambda size=size: with_chunk_bytes(size, est.transform, X)
        for size in (now, now // 4, now * 4)
    }
    note("levers: transform with other chunk budgets")
    med = {k: np.median(v) for k, v in interleaved(variants, cfg.reps + 1).items()}
    for size in (now // 4, now * 4):
        what = (
            f"lever: transform time (n={len(X)}), chunks of {size >> 20} MB "
            f"vs {now >> 20} MB (now)"
        )
        table.add("L", what, med[size], med[now], "s")


def batch_sizes(cfg, table, rng):
    """Training throughput per batch size, from interleaved single steps.

    Whole fits at each batch size drift too much on a busy machine; single
    train steps (as our loop runs them, and PyTorch's), interleaved, do not.
    """
    X = ecg_like(max(cfg.batch_sizes), cfg.timesteps, rng)
    est = fit_ours(X[:64], 1)[1]
    steps = {}
    for bs in cfg.batch_sizes:
        steps["ours", bs] = _step_variants(est, X, bs)["loop"]
        if has_torch():
            steps["torch", bs] = torch_step(X[:bs])
    for step in steps.values():
        step()
    note(f"levers: train steps at batch sizes {cfg.batch_sizes}")
    runs = interleaved(
        {k: lambda f=f: timings(f, 1)[0] for k, f in steps.items()}, cfg.step_reps
    )
    rate = {k: k[1] / np.median(v) for k, v in runs.items()}
    first = cfg.batch_sizes[0]
    for bs in cfg.batch_sizes:
        ref = rate.get(("torch", bs), np.nan)
        what = (
            f"lever: batch_size={bs}, training throughput vs batch {first} "
            f"(PyTorch at {bs}: {ref:.0f} seq/s, ours/PyTorch "
            f"{rate['ours', bs] / ref:.2f})"
        )
        table.add("L", what, rate["ours", bs], rate["ours", first], "seq/s")


def torch_step(batch):
    """One PyTorch training step on ``batch``, as ``fit_torch`` runs it."""
    import torch

    batch = torch.from_numpy(batch)
    model = torch_autoencoder(batch.shape[2])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.MSELoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(batch), batch)
        loss.backward()
        optimizer.step()
        loss.item()

    return step


def encodings(cfg, table, rng):
    """Cost of pooled codes: the pooling, and a wider code for the decoder."""
    X = ecg_like(cfg.n_ragged_transform, cfg.timesteps, rng)
    calls = {}
    for encoding in ENCODINGS:
        est = fit_ours(X[:64], 1, encoding=encoding)[1]
        step = _step_variants(est, X, 32)["loop"]
        calls[encoding, "step"] = step
        calls[encoding, "transform"] = lambda est=est: est.transform(X)
    note(f"levers: encodings {ENCODINGS}, train steps and transform")
    runs = interleaved(
        {k: lambda f=f: timings(f, 1)[0] for k, f in calls.items()}, cfg.step_reps
    )
    med = {k: np.median(v) for k, v in runs.items()}
    for encoding in ENCODINGS[1:]:
        what = f"lever: encoding={encoding!r} vs 'last', train step (batch 32)"
        table.add(
            "L", what, 1e3 * med[encoding, "step"], 1e3 * med["last", "step"], "ms"
        )
        what = f"lever: encoding={encoding!r} vs 'last', transform (n={len(X)})"
        table.add("L", what, med[encoding, "transform"], med["last", "transform"], "s")


def part_profile(cfg, table, rng):
    X = ecg_like(cfg.n_fit, cfg.timesteps, rng)
    est = fit_ours(X, 1)[1]
    lines = ["", "## Where a training step's time goes"]
    note("profile: Python around a train step")
    lines += step_costs(est, X, reps=cfg.reps + 1)
    note("profile: cProfile of a fit")
    lines += profile_fit(X, cfg)
    note("profile: TensorFlow's profiler on one epoch")
    lines += op_profile(X)
    note("profile: one LSTM layer, ours and PyTorch's")
    lines += kernel_vs_torch(cfg, reps=cfg.reps + 1)
    return lines


def step_costs(est, X, reps, batch=32):
    """Python's share of a train step as our loop runs it.

    The graph time is that of the real step; the Python costs around it
    (slicing the batch, tf.function's argument binding and numpy->tensor
    conversion, the ``.numpy()`` of the losses) do not depend on the model,
    so they are measured on a tiny one (4 units, 10 steps), where they are not
    lost in the noise of an 80 ms step.
    """
    real = _step_variants(est, X, batch)
    graph = real["graph"]
    times = interleaved({"graph": lambda: timings(graph, 3)}, reps)
    graph_ms = 1e3 * float(np.median(np.concatenate(times["graph"])))
    tiny = fit_ours(X[:64, :10], 1, units=4)[1]
    variants = _step_variants(tiny, X[:, :10], batch)
    runs = interleaved(
        {k: lambda f=f: timings(f, 30) for k, f in variants.items()}, reps
    )
    ms = {k: 1e3 * float(np.median(np.concatenate(v))) for k, v in runs.items()}
    base = ms["graph"]
    out = [
        "",
        f"Train step, batch {batch}, T={X.shape[1]}: the graph alone takes "
        f"{graph_ms:.1f} ms. Python around it, measured on a tiny model "
        f"(median ms per call; extra over the bare graph call, as % of the "
        f"real step):",
    ]
    for k, v in ms.items():
        out.append(
            f"- {STEP_VARIANTS[k]}: {v:.3f} ms (+{v - base:.3f} ms = "
            f"{100 * (v - base) / graph_ms:.1f}%)"
        )
    return out


STEP_VARIANTS = {
    "loop": "our loop's step: take + tf.function(numpy) + .numpy()",
    "tensors, numpy": "tf.function on tensors + .numpy()",
    "tensors": "the concrete step on tensors (binds the variables)",
    "graph": "its flat call on tensors and handles (graph only)",
}


def _step_variants(est, X, batch):
    """A train step as our loop calls it, and with parts of it removed."""
    steps = _compiled.architecture(est._spec).steps("adam")
    model = est.model_
    optimizer = _compiled.make_optimizer("adam")
    optimizer.build(model.trainable_variables)
    variables = [v.value for v in list(model.variables) + optimizer.variables]
    seqs = as_sequences(X, name="benchmark")
    data = _training.TrainingData(seqs, (seqs,))
    weights = tf.constant((1.0,), tf.float32)
    idx = np.arange(batch)
    inputs, targets, n = data.take(idx)
    tensors = (tf.constant(inputs), (tf.constant(targets[0]),), (tf.constant(n[0]),))
    args = (variables, *tensors, weights)
    step = steps.train_step
    flat = [v.handle for v in variables] + tf.nest.flatten((*tensors, weights))
    return {
        "loop": lambda: step(variables, *data.take(idx), weights).numpy(),
        "tensors, numpy": lambda: step(*args).numpy(),
        "tensors": lambda: step(*args),
        "graph": lambda: step._call_flat(flat, step.captured_inputs),
    }


def profile_fit(X, cfg, epochs=2, make=ours):
    """cProfile of a whole fit (cached architecture), in named buckets.

    ``make(**params)`` builds the estimator (the seed tutorial's by default).
    """
    est = make(epochs=epochs, random_state=0)
    profiler = cProfile.Profile()
    profiler.runcall(est.fit, X)
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    graph = _profiled(stats, "TFE_Py_Execute", tottime=True)
    buckets = {
        "TensorFlow graph execution (TFE_Py_Execute)": graph,
        "concrete-function dispatch: argument binding, numpy->tensor": _profiled(
            stats, "concrete_function.py:__call__"
        )
        - graph,
        "batch slicing + nan_to_num (TrainingData.take)": _profiled(
            stats, "_training.py:take"
        ),
        ".numpy() of the step's losses": _profiled(stats, "ops.py:numpy"),
        "building the estimator's Keras models (build_networks)": _profiled(
            stats, "_models.py:build_networks"
        ),
        "input validation (to_sequences)": _profiled(stats, "to_sequences"),
        "batching (batches)": _profiled(stats, "_training.py:batches"),
    }
    buckets["everything else"] = total - sum(buckets.values())
    out = [
        "",
        f"cProfile of fit (n={len(X)}, {epochs} epochs, cached architecture, "
        f"{total:.2f} s under the profiler):",
    ]
    out += [f"- {k}: {v:.3f} s ({100 * v / total:.1f}%)" for k, v in buckets.items()]
    return out


def _profiled(stats, where, tottime=False):
    """Seconds in functions whose 'file:name' ends with or contains ``where``."""
    seconds = 0.0
    for (path, _, name), (_, _, tt, ct, _) in stats.stats.items():
        key = f"{os.path.basename(path)}:{name}"
        if key.endswith(where) or where in name:
            seconds += tt if tottime else ct
    return seconds


def op_profile(X, batch=32, make=ours):
    """TensorFlow's profiler on a short fit: op time per train step, by group.

    The parts of a batch's rows run side by side on the inter-op threads
    (see ``skseqae._layers.row_parts``), so op times are summed over threads
    and may add up to more than the step's wall time.
    """
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    est = make(epochs=1, random_state=0)
    logdir = tempfile.mkdtemp()
    try:
        tf.profiler.experimental.start(logdir)
        est.fit(X)
        tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        (path,) = glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True)
        with open(path, "rb") as f:
            space.ParseFromString(f.read())
    finally:
        shutil.rmtree(logdir, ignore_errors=True)
    ops, wall, n_steps = collections.Counter(), 0.0, 0
    for plane in space.planes:
        for line in plane.lines:
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                seconds = event.duration_ps / 1e12
                if name == "_train_step":
                    wall += seconds
                    n_steps += 1
                elif name.startswith("ExecutorState::"):
                    continue  # the executor's own spans hold the ops' times
                elif ":" in name and line.name != "python":
                    ops[_op_group(name)] += seconds
    per_step = {k: 1e3 * v / max(n_steps, 1) for k, v in ops.items()}
    total = sum(per_step.values())
    out = [
        "",
        f"TensorFlow profiler, one epoch (batch {batch}, {n_steps} train steps): "
        f"op time per step, summed over threads ({total:.1f} ms; the step's "
        f"wall time {1e3 * wall / max(n_steps, 1):.1f} ms)",
    ]
    top = sorted(per_step.items(), key=lambda kv: -kv[1])[:8]
    out += [f"- {group}: {ms:.1f} ms" for group, ms in top]
    out.append(f"- all other ops: {total - sum(ms for _, ms in top):.1f} ms")
    return out


def _op_group(name):
    """An op's group: forward LSTM kernels by layer, other ops by type."""
    op_name, op_type = name.rsplit(":", 1)
    parts = op_name.split("/")
    if op_type == "BlockLSTMV2":
        layer = next(p for p in parts if "lstm" in p).rsplit("_", 1)[0]
        return f"BlockLSTMV2, forward of {layer}"
    if op_type == "BlockLSTMGradV2":
        # Their names do not say which layer: grouped together.
        return "BlockLSTMGradV2, backward of every LSTM"
    backward = parts[0] == "gradient_tape" or "Grad" in op_type
    return f"{op_type.lstrip('_')} ({'backward' if backward else 'forward'})"


def kernel_vs_torch(cfg, reps, batch=32, calls=3):
    """Forward + backward of one LSTM layer: BlockLSTM, Keras' loop, PyTorch."""
    out = [
        "",
        f"One LSTM layer, forward + backward, batch {batch}, "
        f"T={cfg.timesteps}, {UNITS} units (median ms per call):",
    ]
    for n_in, role in ((1, "encoder"), (UNITS, "decoder")):
        variants = {
            "BlockLSTM (ours)": _tf_layer(n_in, batch, cfg.timesteps, fused=True),
            "keras LSTM (raw Keras)": _tf_layer(n_in, batch, cfg.timesteps, False),
        }
        if has_torch():
            variants["PyTorch"] = _torch_layer(n_in, batch, cfg.timesteps, role)
        for fn in variants.values():
            fn()
        runs = interleaved(
            {k: lambda f=f: timings(f, calls) for k, f in variants.items()}, reps
        )
        ms = {k: 1e3 * float(np.median(np.concatenate(v))) for k, v in runs.items()}
        ref = ms.get("PyTorch", np.nan)
        cells = ", ".join(
            f"{k} {v:.1f} ({v / ref:.2f}x PyTorch)" for k, v in ms.items()
        )
        out.append(f"- {role} shape (input size {n_in}): {cells}")
    return out


def _tf_layer(n_in, batch, steps, fused, units=UNITS):
    from skseqae._layers import FastLSTM

    cls = FastLSTM if fused else keras.layers.LSTM
    layer = cls(units, return_sequences=True)
    x = tf.random.normal((batch, steps, n_in))
    layer.build(x.shape)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x))
        return tape.gradient(loss, [x, *layer.trainable_variables])

    return lambda: [g.numpy() for g in step()]


def _torch_layer(n_in, batch, steps, role, units=UNITS):
    import torch

    layer = torch.nn.LSTM(n_in, units, batch_first=True)
    x = torch.randn(batch, steps, n_in, requires_grad=role == "decoder")

    def step():
        layer.zero_grad()
        layer(x)[0].sum().backward()

    return step
