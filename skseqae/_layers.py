"""Keras layers the autoencoder graphs are made of.

Padding convention: a batch is (batch, time, features) with every padded
time step NaN in all features, at the end of its sequence. Recurrent layers
run left to right, so the output at step ``t`` depends on steps ``<= t``
only: padding can never leak into a sequence's real steps, and the encoder's
vector is read at each sequence's last real step (:class:`LastStep`). No
Keras mask is needed, which keeps the fused LSTM kernel usable.
"""

import contextlib
import contextvars
import os

from ._backend import keras, tf

ops = keras.ops

_PACKAGE = "skseqae"


def _add_scaling_weights(layer, n_features):
    """Per-feature, non-trainable ``mean`` (zeros) and ``scale`` (ones)."""
    for name, initializer in (("mean", "zeros"), ("scale", "ones")):
        weight = layer.add_weight(
            shape=(n_features,), initializer=initializer, trainable=False, name=name
        )
        setattr(layer, name, weight)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class SequenceInput(keras.layers.Layer):
    """Standardize each feature and replace padding by zeros.

    Returns ``(values, lengths)``: the standardized sequences with zeros at
    padded steps, and each sequence's real length (int32) counted from its
    non-padded steps.

    The per-feature ``mean`` and ``scale`` are non-trainable weights, set once
    from the training data, so the standalone encoder takes raw data.
    """

    def build(self, input_shape):
        _add_scaling_weights(self, input_shape[-1])

    def call(self, x):
        real = ops.logical_not(ops.all(ops.isnan(x), axis=-1))
        lengths = ops.sum(ops.cast(real, "int32"), axis=1)
        x = (x - self.mean) / self.scale
        return ops.where(ops.isnan(x), ops.zeros_like(x), x), lengths

    def compute_output_spec(self, x):
        return (
            keras.KerasTensor(x.shape, dtype=x.dtype),
            keras.KerasTensor(x.shape[:1], dtype="int32"),
        )


@keras.saving.register_keras_serializable(package=_PACKAGE)
class Unstandardize(keras.layers.Layer):
    """Map standardized outputs back to the data's units (``x * scale + mean``)."""

    def build(self, input_shape):
        _add_scaling_weights(self, input_shape[-1])

    def call(self, x):
        return x * self.scale + self.mean


@keras.saving.register_keras_serializable(package=_PACKAGE)
class Readout(keras.layers.Layer):
    """Summarise each sequence's hidden states over its real steps.

    Parameters
    ----------
    mode : str
        Parts joined by ``"_"``, concatenated in this order: ``"last"`` (the
        state at the last real step), ``"mean"`` and ``"max"`` (over the
        real steps). For example ``"mean_max"`` or ``"last_mean_max"``.
    """

    def __init__(self, mode, **kwargs):
        super().__init__(**kwargs)
        self.mode = mode

    def call(self, sequences, lengths):
        parts = [p for p in ("last", "mean", "max") if p in self.mode.split("_")]
        return _readout(sequences, lengths, parts)

    def compute_output_shape(self, sequences_shape, lengths_shape):
        n_parts = len(self.mode.split("_"))
        return (sequences_shape[0], sequences_shape[-1] * n_parts)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


def _readout(sequences, lengths, parts):
    """``Readout``'s summaries, in the order of ``parts``, joined.

    Masks are multiplied in rather than a gather and selects: the same
    values (a product with 1 or 0, a sum with zeros), and a gradient of 90
    ops to trace instead of 191. The gradient is then written out: one
    expression over the states instead of autodiff's broadcasts and
    reductions per summary (33 ops, and a few percent of a default
    training step's op time; issue #12), with the values autodiff gives (a
    maximum's gradient is shared among ties).
    The states are finite: the LSTMs' hidden values are bounded.
    """
    steps, dtype = tf.shape(sequences)[1], sequences.dtype
    real = tf.sequence_mask(lengths, steps, dtype=dtype)[:, :, None]
    count = tf.cast(lengths, dtype)[:, None]
    last = tf.one_hot(tf.maximum(lengths - 1, 0), steps, dtype=dtype)[:, :, None]

    @tf.custom_gradient
    def summarize(states):
        out, masked, top = [], None, None
        for part in parts:
            if part == "last":
                out.append(tf.reduce_sum(states * last, axis=1))
            elif part == "mean":
                out.append(tf.reduce_sum(states * real, axis=1) / count)
            else:  # the lowest float at padded steps
                masked = states * real + (1.0 - real) * dtype.min
                top = tf.reduce_max(masked, axis=1)
                out.append(top)

        def grad(upstream):
            pieces = tf.split(upstream, len(parts), axis=-1)
            total = 0.0
            for part, g in zip(parts, pieces):
                if part == "last":
                    total += last * g[:, None, :]
                elif part == "mean":
                    total += real * (g / count)[:, None, :]
                else:
                    ties = tf.cast(tf.equal(masked, top[:, None, :]), dtype)
                    total += ties * (g / tf.reduce_sum(ties, axis=1))[:, None, :]
            return total

        return (out[0] if len(out) == 1 else tf.concat(out, axis=-1)), grad

    return summarize(sequences)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class RepeatToLength(keras.layers.Layer):
    """Repeat a vector along a new time axis as long as a reference sequence."""

    def call(self, vector, reference):
        # A tile: a third of ``ops.repeat``'s ops to trace (issue #12).
        n_steps = tf.shape(reference)[1]
        return tf.tile(vector[:, None, :], tf.stack([1, n_steps, 1]))

    def compute_output_shape(self, vector_shape, reference_shape):
        return (vector_shape[0], reference_shape[1], vector_shape[1])


@keras.saving.register_keras_serializable(package=_PACKAGE)
class ReverseEach(keras.layers.Layer):
    """Reverse the first ``lengths[i]`` steps of each sequence; keep the rest.

    A decoder that emits a sequence back to front (the reversed
    reconstruction of Srivastava et al., 2015) goes through this layer so
    that its output is in natural order for every sequence length. Without
    ``lengths`` every sequence is reversed whole.
    """

    def call(self, sequences, lengths=None):
        if lengths is None:
            return ops.flip(sequences, axis=1)
        return tf.reverse_sequence(sequences, lengths, seq_axis=1, batch_axis=0)


# Bound on the cell state of LSTMs with an unbounded activation (relu, elu,
# selu, gelu, linear), as TensorFlow's ``cell_clip``: with such an activation
# nothing else bounds the states, and on smooth sine waves relu LSTMs with the
# seed tutorial's settings reached losses of 6e5 (see the ``activation``
# parameter of the estimators). Measured in the smaller case of
# tests/test_training.py (64 sines, 32 units, rate 0.03): the encoder's
# states and the code stayed below 0.34, while the decoder's LSTM, which
# reads the same code at every step and feeds its unbounded relu state back,
# reached hidden values of 17,031 after 3 epochs (loss 5e9 in epoch 1);
# clipped, at most 4.6. Bounded activations are left unclipped.
CELL_CLIP = 5.0
#: Most rows for which :class:`FastLSTM` with ``repeated_input`` feeds the
#: kernel each step's batch identity matrix (``steps * rows**2`` floats).
REPEATED_ROWS_MAX = 128
#: Fewest rows in each part when the fused kernel splits a batch's rows
#: across TensorFlow's inter-op threads (see :func:`row_parts`).
MIN_PART_ROWS = 16
_BATCH_IDENTITY = contextvars.ContextVar("skseqae_batch_identity", default=None)


def batch_identity_applies(batch_size, width, units):
    """Whether training batches of at most ``batch_size`` rows, read by a
    ``repeated_input`` LSTM of ``units`` from a ``width``-wide vector, all
    take the batch-identity path (see ``FastLSTM._repeated_input_loop``).

    ``batch_size`` is an int (a bool is returned) or a scalar tensor (a
    boolean tensor: the per-batch choice in the graph)."""
    narrowest = min(width, 4 * units)
    return (
        (narrowest >= 4)
        & (batch_size >= 1)
        & (batch_size <= REPEATED_ROWS_MAX)
        & (2 * batch_size <= narrowest)
    )


@contextlib.contextmanager
def batch_identity(choice):
    """Fix the training path of ``repeated_input`` layers traced meanwhile.

    ``True`` or ``False`` builds only the batch-identity or only the
    by-width path into the graph (a fit knows its largest batch: see
    :func:`batch_identity_applies`); ``None`` builds both and picks one per
    batch. Tracing both costs 0.3-0.4 s per new architecture.
    """
    token = _BATCH_IDENTITY.set(choice)
    try:
        yield
    finally:
        _BATCH_IDENTITY.reset(token)


_BOUNDED_ACTIVATIONS = ("tanh", "sigmoid", "softsign", "hard_sigmoid", "hard_tanh")


def cell_clip_for(activation):
    """``CELL_CLIP`` for an unbounded LSTM activation, else None."""
    function = keras.activations.get(activation)
    bounded = [keras.activations.get(name) for name in _BOUNDED_ACTIVATIONS]
    return None if any(function is b for b in bounded) else CELL_CLIP


@keras.saving.register_keras_serializable(package=_PACKAGE)
class ClippedLSTMCell(keras.layers.LSTMCell):
    """``keras.layers.LSTMCell`` whose cell state is clipped to ``[-c, c]``.

    TensorFlow's ``cell_clip``: the new cell state is clipped before it is
    carried and before the output activation, so ``h = o * act(c)`` is
    bounded too, and no gradient flows through a saturated state. (The
    ``clip`` of ONNX's LSTM operator clips the gates' pre-activations
    instead, which does not reproduce this.)
    """

    def __init__(self, units, cell_clip=CELL_CLIP, **kwargs):
        super().__init__(units, **kwargs)
        self.cell_clip = cell_clip

    def _compute_carry_and_output(self, x, h_tm1, c_tm1):
        c, o = super()._compute_carry_and_output(x, h_tm1, c_tm1)
        return ops.clip(c, -self.cell_clip, self.cell_clip), o

    def _compute_carry_and_output_fused(self, z, c_tm1):
        c, o = super()._compute_carry_and_output_fused(z, c_tm1)
        return ops.clip(c, -self.cell_clip, self.cell_clip), o

    def get_config(self):
        return {**super().get_config(), "cell_clip": self.cell_clip}


def lstm_cell(units, activation, **kwargs):
    """An LSTM cell, clipped (``ClippedLSTMCell``) for unbounded activations."""
    clip = cell_clip_for(activation)
    if clip is None:
        return keras.layers.LSTMCell(units, activation=activation, **kwargs)
    return ClippedLSTMCell(units, cell_clip=clip, activation=activation, **kwargs)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class FastLSTM(keras.layers.LSTM):
    """``keras.layers.LSTM`` with TensorFlow's fused CPU kernel.

    Same weights, same results (to float32 round-off), same configuration as
    the Keras layer. Where the fused kernel applies (TensorFlow backend, no
    GPU, tanh/sigmoid activations, no mask, no recurrent dropout, forward
    direction) it runs ``tf.raw_ops.BlockLSTMV2``, about twice as fast as the
    step-by-step loop Keras uses on a CPU; everywhere else (relu, GPU with
    cuDNN, other backends) it is the Keras layer's loop. With an unbounded
    activation (relu, ...) its cell state is clipped to ``[-CELL_CLIP,
    CELL_CLIP]`` (:class:`ClippedLSTMCell`); tanh and sigmoid are unchanged.
    The fused kernel splits a batch's rows into parts run side by side, one
    per inter-op thread (:func:`row_parts`): the same results to float32
    round-off.

    Parameters
    ----------
    units : int
    activation : str, default="tanh"
    repeated_input : bool, default=False
        Whether the layer reads the same vector at every step (a decoder
        reading the code). The fused kernel then takes the input's product
        with the kernel once per sequence, not once per step (see
        ``_repeated_input_loop``): the same results and weights. Forward and
        backward of a 64-unit decoder LSTM reading a 384-wide code, batch
        32, took 0.19x the per-step path's time through the batch identity
        (training) and 0.86x through the gates identity (inference, and
        larger training batches; ``benchmarks/speed_levers.py``). The
        layer may read the first step's input only. It is left out of the layer's
        config, so files written now stay readable by earlier skseqae
        versions; skseqae's loaders rebuild the networks with it, and a bare
        ``.keras`` file loads without it (the per-step path, same results).
    **kwargs
        Passed to ``keras.layers.LSTM``.
    """

    def __init__(self, units, activation="tanh", repeated_input=False, **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.repeated_input = bool(repeated_input)
        clip = cell_clip_for(activation)
        if clip is not None:
            # keras.layers.LSTM builds its LSTMCell itself; same weights,
            # same config, only the carry is clipped.
            self.cell.__class__ = ClippedLSTMCell
            self.cell.cell_clip = clip

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if (
            initial_state is None
            and not self.stateful
            and not self.return_state
            and not self.cell.dropout  # Keras draws its masks in RNN.call
            and self._fused_kernel_applies(mask)
        ):
            # Keras' RNN.call around the same kernel, without its state and
            # dtype bookkeeping: about 30 ops to trace instead of 110, which
            # is what a new architecture's first fit waits for (issue #12).
            h, _ = self._fused_states(sequences, None, training)
            return tf.transpose(h, (1, 0, 2)) if self.return_sequences else h[-1]
        return super().call(
            sequences, initial_state=initial_state, mask=mask, training=training
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if not self._fused_kernel_applies(mask):
            return super().inner_loop(sequences, initial_state, mask, training)
        cell = self.cell
        if training and cell.dropout:
            keep = cell.get_dropout_mask(sequences[:, 0, :])
            sequences = sequences * ops.expand_dims(keep, 1)
        h, c = self._fused_states(sequences, initial_state, training)
        if self.return_sequences:
            outputs = tf.transpose(h, (1, 0, 2))
        else:
            outputs = tf.expand_dims(h[-1], 1)
        return h[-1], outputs, [h[-1], c[-1]]

    def _fused_states(self, sequences, initial_state, training):
        """Time-major hidden and cell states of the fused kernel.

        ``initial_state`` None starts from zeros.
        """
        cell = self.cell
        bias = tf.convert_to_tensor(
            cell.bias if cell.use_bias else tf.zeros([4 * cell.units])
        )
        if self.repeated_input:
            return self._repeated_input_loop(sequences, initial_state, bias, training)
        if initial_state is None:
            initial_state = self._zero_state(sequences)
        return self._fused(sequences, initial_state, cell.kernel, bias)

    def _zero_state(self, rows):
        """Zero hidden and cell states for as many rows as ``rows`` has."""
        zeros = tf.zeros(tf.stack([tf.shape(rows)[0], self.cell.units]))
        return [zeros, zeros]

    def _repeated_input_loop(self, sequences, initial_state, bias, training):
        """The fused kernel when every step reads the same vector.

        The kernel adds the vector's product with the input kernel at every
        step, through the narrowest of three equivalent inputs: the vector
        itself with the kernel (as usual); ``once``, that product taken once
        per sequence, with an identity weight (inputs wider than the
        ``4 * units`` gates); or each step's batch identity matrix with
        ``once`` as the weight, for batches of at most half as many rows as
        both (training batches): row ``b`` of the identity picks row ``b``
        of ``once``, and the weight's gradient is ``once``'s. The last costs
        ``steps * batch**2`` floats, so it runs for at most
        ``REPEATED_ROWS_MAX`` rows, with a finite ``once``, and in training
        only: inference, in chunks of many rows, goes by width alone. The
        estimators' training steps are traced under :func:`batch_identity`
        with the choice their batch size fixes; elsewhere (a Keras call with
        ``training=True``) it is made per batch in the graph.
        """
        cell = self.cell
        gates = 4 * cell.units
        width = sequences.shape[-1]
        recurrent = cell.recurrent_kernel
        vector, steps = _repeated(sequences)
        if initial_state is None:  # sized by the vector: the tile is not read
            initial_state = self._zero_state(vector)
        # Below 4 only a lone row would qualify for the batch identity.
        rows_way = bool(training) and min(width, gates) >= 4
        product = None
        if width > gates or rows_way:
            product = tf.matmul(vector, cell.kernel)

        def by_width():
            if width <= gates:
                return self._fused(sequences, initial_state, cell.kernel, bias)
            shape = [tf.shape(product)[0], steps, gates]
            wide = tf.broadcast_to(product[:, None, :], shape)
            return self._fused(wide, initial_state, tf.eye(gates), bias)

        def identity_part(product, h0, c0):
            rows = tf.shape(product)[0]
            # The kernel is slow when batch and input are both odd: an even
            # number of rows, but a lone row alone (see ``_fused``).
            even = rows + rows % 2 * tf.cast(rows > 1, rows.dtype)
            picks = tf.broadcast_to(tf.eye(even)[None], [steps, even, even])
            weights = tf.concat(
                [tf.pad(product, [[0, even - rows], [0, 0]]), recurrent], axis=0
            )
            state = [tf.pad(s, [[0, even - rows], [0, 0]]) for s in (h0, c0)]
            h, c = _block_lstm(picks, state[0], state[1], weights, bias)
            return h[:, :rows], c[:, :rows]

        def by_rows():
            # Each part of the rows reads its own, smaller identity.
            return _in_row_parts(identity_part, (product, *initial_state), (0, 0, 0))

        choice = _BATCH_IDENTITY.get()
        if not rows_way or choice is False:
            return by_width()
        if choice:  # fixed for the whole fit (see ``batch_identity``)
            return by_rows()
        few = batch_identity_applies(tf.shape(vector)[0], width, cell.units)
        # The identity's zeros times an infinite product would spread NaN
        # to every row; such a batch takes the per-row path.
        few = few & tf.reduce_all(tf.math.is_finite(product))
        return tf.cond(few, by_rows, by_width)

    def _fused(self, sequences, initial_state, kernel, bias):
        """Time-major states of ``_block_lstm`` over batch-major ``sequences``.

        The kernel is slow (and logs a warning) when the batch size and the
        input's width are both odd, so an odd-width input gets a column of
        zeros, read through a row of zeros in the weights: fixed in the
        graph, unlike padding the batch, and a one-sequence ``transform``
        keeps its lone row (0.67 ms against 0.88 ms for two rows, 140 steps
        of 64 units; issue #12).
        """
        parts = [kernel, self.cell.recurrent_kernel]
        if sequences.shape[-1] % 2:
            sequences = tf.pad(sequences, [[0, 0], [0, 0], [0, 1]])
            parts.insert(1, tf.zeros([1, 4 * self.cell.units]))
        x = tf.transpose(sequences, (1, 0, 2))
        weights = tf.concat(parts, axis=0)
        return _in_row_parts(
            lambda x, h0, c0: _block_lstm(x, h0, c0, weights, bias),
            (x, *initial_state),
            (1, 0, 0),
        )

    def _fused_kernel_applies(self, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        cell = self.cell
        return (
            keras.backend.backend() == "tensorflow"
            and mask is None
            and not self.go_backwards
            and not cell.recurrent_dropout
            and cell.activation is keras.activations.tanh
            and cell.recurrent_activation is keras.activations.sigmoid
            and not tf.config.list_logical_devices("GPU")
            and self.compute_dtype == "float32"
        )


def _repeated(sequences):
    """``(vector, steps)`` of a ``repeated_input`` layer's input.

    Its vector is ``sequences[:, 0, :]``. When ``sequences`` is, in the graph
    being traced, a tile of one step along time (``RepeatToLength``), the
    vector and the number of steps are read from the tile's own inputs.
    Where the layer then needs the vector alone (the batch identity, and
    codes wider than the gates: every default training step), the graph
    drops the tiled (batch, steps, width) tensor, the gradient of the slice
    that read its first step and the tile's gradient (about 6% of a default
    training step's op time; issue #12).
    """
    op = getattr(sequences, "op", None)  # eager tensors have none
    if op is not None and op.type == "Tile":
        source, multiples = op.inputs
        known = tf.get_static_value(multiples, partial=True)
        if (
            source.shape.rank == 3
            and source.shape[1] == 1
            and known is not None
            and known[0] == 1
            and known[2] == 1
        ):
            return source[:, 0, :], tf.cast(multiples[1], tf.int32)
    return sequences[:, 0, :], tf.shape(sequences)[1]


def row_parts():
    """Parts the fused LSTM kernel splits a batch's rows into: TensorFlow's
    inter-op threads (one per schedulable core unless set otherwise).

    The rows of an LSTM are independent, and on small per-step products the
    kernel gains little from the intra-op pool: parts run side by side on
    the inter-op threads instead (the same results, to float32 round-off in
    the weights' gradient, which sums the parts). Read when a graph is
    traced, so it follows ``tf.config.threading``,
    :func:`skseqae.set_tensorflow_threads` and ``TF_NUM_INTEROP_THREADS``.
    """
    threads = tf.config.threading.get_inter_op_parallelism_threads()
    if threads <= 0:  # TensorFlow's choice: its variable, else every core
        threads = _int_or_zero(os.environ.get("TF_NUM_INTEROP_THREADS"))
    if threads <= 0:
        try:
            threads = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            threads = os.cpu_count() or 1
    return max(1, int(threads))


def _int_or_zero(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return 0


def _part_sizes(rows, parts):
    """Sizes of ``parts`` consecutive parts of ``rows`` (a scalar tensor).

    As many parts as each get at least :data:`MIN_PART_ROWS` rows (at least
    one), of an even size but the last; parts beyond them are empty.
    """
    used = tf.clip_by_value(rows // MIN_PART_ROWS, 1, parts)
    size = -(-rows // used)
    size += size % 2
    start = tf.range(parts, dtype=rows.dtype) * size
    return tf.clip_by_value(rows - start, 0, size)


def _in_row_parts(fn, tensors, axes):
    """``fn(*tensors)`` on parts of the rows, side by side; ``(h, c)`` joined.

    ``axes`` gives each tensor's row axis; ``fn`` returns time-major hidden
    and cell states (rows on axis 1). With one part (one inter-op thread),
    ``fn`` runs on the whole batch.
    """
    parts = row_parts()
    if parts == 1:
        return fn(*tensors)
    rows = tf.shape(tensors[0])[axes[0]]
    sizes = _part_sizes(rows, parts)
    pieces = [tf.split(t, sizes, axis=a) for t, a in zip(tensors, axes)]
    states = [fn(*part) for part in zip(*pieces)]
    return tuple(tf.concat(s, axis=1) for s in zip(*states))


@tf.custom_gradient
def _block_lstm(x, h0, c0, w, b):
    """Fused LSTM over time-major ``x``; returns all hidden and cell states.

    TensorFlow registers the gradient of ``BlockLSTMV2`` with the V1 gradient
    kernel, which assumes the V1 gate order (i, c, f, o) and so returns wrong
    gradients for V2's Keras order (i, f, c, o). We use ``BlockLSTMGradV2``,
    whose gradients match ``keras.layers.LSTM`` to float32 round-off
    (tests/test_layers.py checks this).
    """
    zeros = tf.zeros([b.shape[0] // 4])
    shape = tf.shape(x, out_type=tf.int64)
    # No steps for no rows (an empty part, see ``_in_row_parts``).
    seq_len = shape[0] * tf.minimum(shape[1], 1)
    peepholes = {"wci": zeros, "wcf": zeros, "wco": zeros}
    common = dict(seq_len_max=seq_len, x=x, cs_prev=c0, h_prev=h0, w=w, b=b)
    i, cs, f, o, ci, co, h = tf.raw_ops.BlockLSTMV2(
        **common, **peepholes, cell_clip=0.0, use_peephole=False
    )

    def grad(dh, dcs):
        dcs = tf.zeros_like(cs) if dcs is None else dcs
        dx, dc0, dh0, dw, _, _, _, db = tf.raw_ops.BlockLSTMGradV2(
            **common,
            **peepholes,
            i=i,
            cs=cs,
            f=f,
            o=o,
            ci=ci,
            co=co,
            h=h,
            cs_grad=dcs,
            h_grad=dh,
            use_peephole=False,
        )
        # With no rows (an empty part, see ``_in_row_parts``) the kernel
        # leaves the weights' gradient unwritten memory.
        empty = tf.equal(tf.shape(h0)[0], 0)
        dw = tf.where(empty, tf.zeros_like(dw), dw)
        db = tf.where(empty, tf.zeros_like(db), db)
        return dx, dh0, dc0, dw, db

    return (h, cs), grad


@keras.saving.register_keras_serializable(package=_PACKAGE)
class FeedbackDecoderCell(keras.layers.Layer):
    """A decoder step that also reads its own previous output.

    At each step the stacked LSTM cells read ``[input, previous output]`` and
    a Dense layer emits the step's output, which is fed back at the next
    step (zeros at the first). This is the conditional decoder of
    Srivastava et al. (2015); it runs the same way in training and in
    inference (no teacher forcing), so there is no train/test mismatch.
    Wrap it in ``keras.layers.RNN``.

    Parameters
    ----------
    units : list of int
        Sizes of the stacked LSTM cells.
    n_features : int
        Size of each output step.
    activation : str
        Activation of the LSTM cells.
    dropout : float
        Input dropout of the LSTM cells while training.
    seeds : list of int
        ``3 * len(units) + 1`` distinct seeds for the initializers and dropout.
    """

    def __init__(self, units, n_features, activation, dropout, seeds, **kwargs):
        super().__init__(**kwargs)
        self.units, self.n_features = list(units), n_features
        self.activation, self.dropout, self.seeds = activation, dropout, list(seeds)
        self.cells = [
            lstm_cell(
                n,
                activation,
                dropout=dropout,
                kernel_initializer=keras.initializers.GlorotUniform(seeds[3 * i]),
                recurrent_initializer=keras.initializers.Orthogonal(
                    seed=seeds[3 * i + 1]
                ),
                seed=seeds[3 * i + 2],
                name=f"cell_{i}",
            )
            for i, n in enumerate(self.units)
        ]
        self.dense = keras.layers.Dense(
            n_features,
            kernel_initializer=keras.initializers.GlorotUniform(seeds[-1]),
            name="output",
        )
        self.state_size = [n for n in self.units for _ in (0, 1)] + [n_features]
        self.output_size = n_features

    def build(self, input_shape):
        size = input_shape[-1] + self.n_features
        for cell in self.cells:
            cell.build((None, size))
            size = cell.units
        self.dense.build((None, size))

    def call(self, inputs, states, training=False):
        x = ops.concatenate([inputs, states[-1]], axis=-1)
        new_states = []
        for i, cell in enumerate(self.cells):
            x, (h, c) = cell(x, [states[2 * i], states[2 * i + 1]], training=training)
            new_states += [h, c]
        y = self.dense(x)
        return y, new_states + [y]

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "n_features": self.n_features,
            "activation": self.activation,
            "dropout": self.dropout,
            "seeds": self.seeds,
        }


@keras.saving.register_keras_serializable(package=_PACKAGE)
class TimePool(keras.layers.Layer):
    """Average each sequence over windows of ``factor`` steps.

    Takes ``(values, lengths)`` with zeros at padded steps and returns the
    window means and the new lengths, ``ceil(lengths / factor)``. A window
    that straddles a sequence's end averages its real steps only, so padding
    never enters a real step. Long sequences read this way cost the LSTMs
    ``factor`` times fewer steps.

    Parameters
    ----------
    factor : int
        Steps per window.
    """

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = int(factor)

    def call(self, values, lengths):
        f = self.factor
        batch, n_steps = tf.shape(values)[0], tf.shape(values)[1]
        n_out = (n_steps + f - 1) // f
        values = tf.pad(values, [[0, 0], [0, n_out * f - n_steps], [0, 0]])
        real = tf.sequence_mask(lengths, n_out * f, dtype=values.dtype)
        shape = [batch, n_out, f, values.shape[-1]]
        sums = tf.reduce_sum(tf.reshape(values * real[:, :, None], shape), axis=2)
        counts = tf.reduce_sum(tf.reshape(real, [batch, n_out, f, 1]), axis=2)
        return sums / tf.maximum(counts, 1.0), (lengths + f - 1) // f

    def compute_output_spec(self, values, lengths):
        n_steps = values.shape[1]
        n_out = None if n_steps is None else -(-n_steps // self.factor)
        return (
            keras.KerasTensor((values.shape[0], n_out, values.shape[2]), values.dtype),
            keras.KerasTensor(lengths.shape, dtype="int32"),
        )

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class RepeatSteps(keras.layers.Layer):
    """Undo :class:`TimePool`'s shortening: repeat each step ``factor`` times.

    The result is cut to the length of ``reference`` when given, else to
    ``length`` steps when that is set.

    Parameters
    ----------
    factor : int
        Copies of each step.
    length : int or None, default=None
        Output length without a reference.
    """

    def __init__(self, factor, length=None, **kwargs):
        super().__init__(**kwargs)
        self.factor, self.length = int(factor), length

    def call(self, x, reference=None):
        if self.factor > 1:  # a tile: fewer ops to trace than ops.repeat
            tiled = tf.tile(x[:, :, None, :], [1, 1, self.factor, 1])
            shape = tf.shape(x)
            x = tf.reshape(tiled, [shape[0], shape[1] * self.factor, shape[2]])
        if reference is not None:
            return x[:, : ops.shape(reference)[1]]
        return x if self.length is None else x[:, : self.length]

    def compute_output_shape(self, x_shape, reference_shape=None):
        if reference_shape is not None:
            n_steps = reference_shape[1]
        elif self.length is not None:
            n_steps = self.length
        else:
            n_steps = None if x_shape[1] is None else x_shape[1] * self.factor
        return (x_shape[0], n_steps, x_shape[2])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "length": self.length}
