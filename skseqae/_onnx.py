"""Export fitted autoencoders and pipelines to ONNX, for serving without TensorFlow.

The graph is written operator by operator with ``onnx.helper`` from the
fitted Keras layers (read by name from ``model_`` and checked against the
estimator's ``NetworkSpec``), not traced through TensorFlow: our training
runs TensorFlow's fused ``BlockLSTMV2`` kernel, which converters such as
tf2onnx do not handle, while ONNX has its own ``LSTM`` operator with a
``sequence_lens`` input for sequences of different lengths.

The exported graph follows ``transform`` step by step:

1. ``SequenceInput``: trailing time steps that are NaN in every feature are
   padding; each sequence's length is one past its last other step. Input
   that ``transform`` refuses (NaN inside a sequence, an all-NaN sequence,
   infinity or a value beyond float32) stops the run with an error that
   says ``skseqae input check`` (ONNX has no operator that raises: a
   ``Reshape`` that cannot succeed, named after the check). The training
   mean is subtracted in float64, the result divided by the scale in
   float32, and NaN replaced by zero.
2. ``TimePool`` (long sequences, ``pool > 1``): window means over real steps
   by ``Pad``, ``Reshape`` and masked ``ReduceSum``.
3. Each encoder LSTM is one ONNX ``LSTM`` node (gates reordered from Keras'
   i, f, c, o to ONNX's i, o, f, c) reading each sequence's own length; a
   backward LSTM reads its input through ``ReverseSequence`` within each
   length, as ``ReverseEach`` does.
4. ``Readout``: the hidden state at the last real step (the LSTM's ``Y_h``
   output), and the mean and max over the real steps (masked reductions).

With ``score_samples=True`` the decoders are exported too (a ``Expand`` for
``RepeatToLength``/``RepeatVector``, the mirrored LSTMs, a ``MatMul`` + ``Add``
for each Dense layer, ``RepeatSteps`` to undo the pooling, and the unscaling),
and the graph also returns ``score_samples``; with ``forecast=True`` a
composite's future decoder is exported and the graph returns ``predict``'s
forecast. A scikit-learn Pipeline's
remaining steps are converted with skl2onnx and joined onto the ``features``
output.
"""

import dataclasses
import itertools
from numbers import Integral

import numpy as np

#: Default opset: onnxruntime has run it since 1.14 (2023), and skl2onnx and
#: every ONNX runtime in other languages of that age support it.
DEFAULT_OPSET = 17
#: Lowest opset the graph can be written in (Squeeze/Unsqueeze/ReduceSum take
#: their axes as inputs from 13 on).
MIN_OPSET = 13

# Keras activation name -> (ONNX LSTM activation, its alpha, its beta).
# Only bounded activations: the unbounded ones clip the LSTM cell state,
# which ONNX's LSTM cannot express (see ``_check_spec``).
_ACTIVATIONS = {
    "tanh": ("Tanh", None, None),
    "sigmoid": ("Sigmoid", None, None),
    "softsign": ("Softsign", None, None),
}

# The NetworkSpec fields this exporter knows how to write; any other field
# must hold its default value (which keeps the architecture written here).
_KNOWN_SPEC_FIELDS = {
    "n_features",
    "units",
    "activation",
    "dropout",
    "n_future",
    "reverse",
    "conditional",
    "encoding",
    "pool",
    "bidirectional",
    "window_pooling",  # checked on its own (see _checked_spec)
}

# input_dtype -> onnx.TensorProto's name of the type.
_INPUT_TYPES = {"float32": "FLOAT", "float64": "DOUBLE"}

# Keras gate blocks i, f, c, o reordered to ONNX's i, o, f, c.
_GATE_ORDER = (0, 3, 1, 2)


def to_onnx(
    model,
    path=None,
    *,
    score_samples=False,
    forecast=False,
    input_dtype="float32",
    target_opset=DEFAULT_OPSET,
):
    """Export a fitted autoencoder, or a Pipeline starting with one, to ONNX.

    The exported model runs in onnxruntime (Python, C, C++, C#, Java,
    JavaScript, ...) without TensorFlow or skseqae.

    Parameters
    ----------
    model : LSTMAutoencoderTransformer, CompositeLSTMAutoencoder or Pipeline
        A fitted autoencoder, or a fitted scikit-learn ``Pipeline`` whose
        first step is one and whose other steps skl2onnx can convert (for
        example a scaler, PCA, then a classifier or regressor; steps that
        skl2onnx writes in an older opset are converted to
        ``target_opset``).
    path : str or path-like, default=None
        Where to write the model (``.onnx``); None writes nothing.
    score_samples : bool, default=False
        Also export the decoders and return the autoencoder's
        :meth:`~LSTMAutoencoderTransformer.score_samples` (negative
        per-sequence reconstruction error, float64) as a second output.
        For a :class:`CompositeLSTMAutoencoder`, the score follows the task
        it was fitted on: after ``fit(X)`` each sequence is split as in
        ``score_samples(X)`` (sequences too short to split, ``n_future``
        steps or fewer, score NaN); after ``fit(X, future=F)`` the graph
        takes a second input, ``future``, and computes
        ``score_samples(X, future=F)``.
    forecast : bool, default=False
        Also export a :class:`CompositeLSTMAutoencoder`'s future decoder and
        return its :meth:`~CompositeLSTMAutoencoder.predict` (float64, of
        shape (n_sequences, n_future, n_features)) as the last output.
    input_dtype : {"float32", "float64"}, default="float32"
        Type of the ``sequences`` input. As in ``transform``, each feature's
        training mean is subtracted in float64 before the values become
        float32, so ``"float64"`` keeps the precision of data far from zero
        relative to its spread (``1e6 + 0.01 * x``), which float32 input
        has already lost.
    target_opset : int, default=17
        ONNX opset of the graph (13 or later). The default runs in
        onnxruntime 1.14 and later.

    Returns
    -------
    onnx.ModelProto
        One input, ``sequences``: ``input_dtype``, of shape (n_sequences, n_timesteps,
        n_features), both sizes dynamic, each sequence padded at its end
        with all-NaN steps (the layout ``transform`` takes as a 3-D array;
        for a model fitted on 2-D input pass ``X[:, :, None]``); and
        ``future``, of shape (n_sequences, n_future, n_features), where
        ``score_samples`` follows ``fit(X, future=F)``. Input that
        ``transform`` refuses (NaN inside a sequence, all-NaN sequences,
        infinity, values beyond float32, any NaN in ``future``) makes the
        runtime raise an error that says ``skseqae input check``. Outputs:
        ``features`` (float32, what ``transform`` returns) for an
        autoencoder; for a Pipeline, the outputs skl2onnx gives the other
        steps (``label`` and ``probabilities`` for a classifier,
        ``variable`` for a regressor or transformer). Then ``score_samples``
        and ``forecast`` if asked for.

    Raises
    ------
    ValueError
        If the model uses an option the exporter cannot write (the
        conditional decoder, an unbounded activation (relu, elu, selu,
        gelu, linear: their LSTMs clip the cell state), or an architecture
        option it does not know), or has a Pipeline step that skl2onnx
        cannot convert; if ``forecast=True`` for a model without a future
        decoder; ``NotFittedError`` (a ValueError) if it is not fitted.
    ImportError
        If ``onnx`` (or, for a Pipeline, ``skl2onnx``) is not installed:
        ``pip install skseqae[onnx]``.

    See Also
    --------
    LSTMAutoencoderTransformer.transform : What the ``features`` output equals.
    LSTMAutoencoderTransformer.score_samples : What ``score_samples`` equals.

    Notes
    -----
    Every architecture the estimators build exports (every ``encoding``,
    stacked ``units``, bidirectional encoders, pooled long sequences,
    reversed reconstruction) except the conditional decoder, and the
    bounded activations tanh, sigmoid and softsign (relu, elu and linear
    LSTMs clip their cell state, which the ONNX LSTM operator cannot
    express).

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from skseqae import LSTMAutoencoderTransformer, to_onnx
    >>> t = np.linspace(0, 3, 20)[None, :, None]
    >>> X = np.sin(t) * np.arange(1, 9)[:, None, None]
    >>> ae = LSTMAutoencoderTransformer(units=4, epochs=1, random_state=0).fit(X)
    >>> session = ort.InferenceSession(to_onnx(ae).SerializeToString())
    >>> (features,) = session.run(None, {"sequences": X.astype(np.float32)})
    >>> np.allclose(features, ae.transform(X), rtol=1e-5, atol=1e-6)
    True
    """
    onnx = _require("onnx")
    opset = _check_opset(target_opset)
    if input_dtype not in _INPUT_TYPES:
        raise ValueError(
            f"to_onnx: input_dtype must be 'float32' or 'float64', got {input_dtype!r}."
        )
    autoencoder, rest = _split_pipeline(model)
    proto = _autoencoder_model(autoencoder, opset, score_samples, forecast, input_dtype)
    if rest is not None:
        proto = _append_pipeline(proto, rest, autoencoder, opset)
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        onnx.save(proto, path)
    return proto


# ------------------------------------------------------------ what to export


def _require(module):
    """Import ``module`` of the onnx extra, or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"to_onnx needs {module}, which is not installed. Install the onnx "
            "extra: pip install skseqae[onnx]"
        ) from exc


def _check_opset(target_opset):
    import onnx

    highest = onnx.defs.onnx_opset_version()
    if (
        not isinstance(target_opset, Integral)
        or isinstance(target_opset, bool)
        or not MIN_OPSET <= target_opset <= highest
    ):
        raise ValueError(
            f"to_onnx: target_opset must be an int from {MIN_OPSET} to {highest} "
            f"(the newest this onnx package knows), got {target_opset!r}."
        )
    return int(target_opset)


def _split_pipeline(model):
    """The autoencoder to export, and the Pipeline of the other steps (or None)."""
    from sklearn.pipeline import Pipeline

    from ._base import _BaseSequenceAutoencoder

    if isinstance(model, _BaseSequenceAutoencoder):
        return model, None
    if isinstance(model, Pipeline) and isinstance(
        model.steps[0][1], _BaseSequenceAutoencoder
    ):
        rest = [(n, s) for n, s in model.steps[1:] if s not in (None, "passthrough")]
        return model.steps[0][1], Pipeline(rest) if rest else None
    raise ValueError(
        "to_onnx exports a fitted LSTMAutoencoderTransformer or "
        "CompositeLSTMAutoencoder, or a scikit-learn Pipeline whose first step is "
        f"one, got {type(model).__name__}. Put the autoencoder first in the "
        "Pipeline."
    )


def _checked_spec(autoencoder):
    """The estimator's NetworkSpec, if this module can write its architecture."""
    from sklearn.utils.validation import check_is_fitted

    name = type(autoencoder).__name__
    check_is_fitted(autoencoder)
    spec = autoencoder._spec
    if spec.window_pooling is not None:
        raise ValueError(
            f"to_onnx cannot export this {name}: fitted on sequences longer than "
            f"max_steps with window_pooling={spec.window_pooling!r}, its features "
            "include statistics of the codes of each sequence's windows, which "
            "the exporter does not write. Refit with window_pooling=None (the "
            "averaged sequence's code alone), or serve the model with transform."
        )
    for field in dataclasses.fields(spec):
        value = getattr(spec, field.name)
        if field.name in _KNOWN_SPEC_FIELDS or value == field.default:
            continue
        raise ValueError(
            f"to_onnx cannot export this {name}: its architecture option "
            f"{field.name}={value!r} is not one the ONNX exporter knows how to "
            f"write (it writes only {field.name}={field.default!r}). Refit with "
            "the default, or serve the model with transform."
        )
    if spec.conditional:
        raise ValueError(
            f"to_onnx cannot export a {name} with conditional=True: its decoders "
            "feed their own output back at every step, which the ONNX LSTM "
            "operator cannot express. Refit with conditional=False (the default)."
        )
    from ._layers import cell_clip_for

    if cell_clip_for(spec.activation) is not None:
        raise ValueError(
            f"to_onnx cannot export a {name} with activation={spec.activation!r}: "
            "with an unbounded activation the LSTMs clip their cell state "
            "(TensorFlow's cell_clip, for stable training), which the ONNX LSTM "
            "operator cannot express (its clip bounds the gates' inputs). Refit "
            "with a bounded activation: 'tanh' (the default), 'sigmoid' or "
            "'softsign'."
        )
    return spec


def _layers(autoencoder, spec):
    """``model_``'s layers by name, checked against ``spec`` and their types."""
    from ._backend import keras
    from ._layers import Readout, SequenceInput, Unstandardize
    from ._models import layer_kinds, layer_mismatch

    layers = {layer.name: layer for layer in autoencoder.model_.layers}
    expected = layer_kinds(spec)
    problem = layer_mismatch(expected=expected, given=layers)
    if problem:
        raise ValueError(
            f"to_onnx cannot export this {type(autoencoder).__name__}: its Keras "
            f"model does not have the layers the exporter knows ({problem}). "
            "Export a model fitted with this version of skseqae."
        )
    classes = {
        "standardize": SequenceInput,
        "readout": Readout,
        "lstm": keras.layers.LSTM,
        "dense": keras.layers.Dense,
        "unstandardize": Unstandardize,
    }
    kinds = {n: classes[k] for n, k in expected.items() if k in classes}
    for name, kind in kinds.items():
        if not isinstance(layers[name], kind):
            raise ValueError(
                f"to_onnx: layer {name!r} of {type(autoencoder).__name__} is a "
                f"{type(layers[name]).__name__}, not the {kind.__name__} the "
                "exporter writes. Export a model fitted with this version of skseqae."
            )
    if layers["readout"].mode != spec.encoding:
        raise ValueError(
            f"to_onnx: the readout layer's mode {layers['readout'].mode!r} differs "
            f"from encoding={spec.encoding!r}; the model is inconsistent."
        )
    return layers


# ------------------------------------------------------------- graph writing


class _Graph:
    """Nodes and initializers of one ONNX graph under construction."""

    def __init__(self, opset):
        from onnx import helper, numpy_helper

        self.opset, self._helper, self._numpy = opset, helper, numpy_helper
        self.nodes, self.initializers = [], []
        self._ids = itertools.count()

    def name(self, hint):
        # A prefix of our own keeps names apart from skl2onnx's when merging.
        return f"skseqae/{hint}_{next(self._ids)}"

    def const(self, value, hint="const"):
        name = self.name(hint)
        self.initializers.append(self._numpy.from_array(np.asarray(value), name))
        return name

    def op(self, op_type, *inputs, outputs=1, node_name=None, **attrs):
        names = [self.name(op_type.lower()) for _ in range(outputs)]
        node = self._helper.make_node(
            op_type, list(inputs), names, name=node_name, **attrs
        )
        self.nodes.append(node)
        return names[0] if outputs == 1 else names

    def axes(self, values):
        return self.const(np.array(values, np.int64), "axes")

    def reduce(self, op_type, x, axes, keepdims=0):
        # ReduceSum takes its axes as an input from opset 13, the others from 18.
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, x, self.axes(axes), keepdims=keepdims)
        return self.op(op_type, x, axes=list(axes), keepdims=keepdims)

    def unsqueeze(self, x, axes):
        return self.op("Unsqueeze", x, self.axes(axes))

    def squeeze(self, x, axes):
        return self.op("Squeeze", x, self.axes(axes))


@dataclasses.dataclass
class _Inputs:
    """The standardized sequences, time-major, and what the readouts need."""

    raw: str  # (T, n, F), the input as given, with its NaN padding
    values: str  # (T, n, F) float32, standardized, zeros at padding
    offset: str  # float64, which the decoders add back: the training mean (F,),
    # or with sequence_scaling_ each sequence's (1, n, F) (see _sequence_scaled)
    lengths: str  # (n,) int32
    n_steps: str  # (1,) int64: T
    raw64: str = None  # (T, n, F) float64, the input
    scale: str = None  # (1, n, F) float64: each sequence's std, or None
    moments: str = None  # (n, 2F) float32: the level and size features, or None


def _autoencoder_model(autoencoder, opset, score_samples, forecast, input_dtype):
    from onnx import TensorProto, helper

    spec = _checked_spec(autoencoder)
    layers = _layers(autoencoder, spec)
    _check_forecast(autoencoder, spec, forecast)
    input_type = getattr(TensorProto, _INPUT_TYPES[input_dtype])
    graph_inputs = [
        helper.make_tensor_value_info(
            "sequences", input_type, ["n", "T", spec.n_features]
        )
    ]
    g = _Graph(opset)
    future = future_bad = None
    if score_samples and getattr(autoencoder, "_fit_with_future", False):
        # Fitted on explicit futures: scored as score_samples(X, future=F).
        graph_inputs.append(
            helper.make_tensor_value_info(
                "future", input_type, ["n", spec.n_future, spec.n_features]
            )
        )
        future, future_bad = _future_input(g, "future", spec.n_future)
    inputs = _standardize(
        g, autoencoder, layers["standardize"], "sequences", future_bad
    )
    encoded = _encode(g, spec, layers, inputs, inputs.lengths)
    features = encoded.code
    if inputs.moments is not None:  # sequence_scaling_: level and size follow
        features = g.op("Concat", features, inputs.moments, axis=1)
    g.nodes.append(helper.make_node("Identity", [features], ["features"]))
    width = autoencoder._n_features_out
    outputs = [_output("features", TensorProto.FLOAT, ["n", width])]
    if score_samples:
        scores = _scores(g, autoencoder, spec, layers, inputs, encoded, future)
        g.nodes.append(helper.make_node("Identity", [scores], ["score_samples"]))
        outputs.append(_output("score_samples", TensorProto.DOUBLE, ["n"]))
    if forecast:
        steps = g.const(np.array([spec.n_future], np.int64))
        predicted = _decoder(g, layers, "future", encoded.code, steps, "", inputs)
        g.nodes.append(
            helper.make_node("Transpose", [predicted], ["forecast"], perm=[1, 0, 2])
        )
        shape = ["n", spec.n_future, spec.n_features]
        outputs.append(_output("forecast", TensorProto.DOUBLE, shape))
    graph = helper.make_graph(
        g.nodes, "skseqae", graph_inputs, outputs, initializer=g.initializers
    )
    opsets = [helper.make_opsetid("", opset)]
    return helper.make_model(
        graph,
        opset_imports=opsets,
        ir_version=helper.find_min_ir_version_for(opsets),
        producer_name="skseqae",
        doc_string=f"{type(autoencoder).__name__} exported by skseqae.to_onnx",
    )


def _check_forecast(autoencoder, spec, forecast):
    if forecast and not spec.n_future:
        raise ValueError(
            f"to_onnx: forecast=True exports the future decoder of a "
            f"CompositeLSTMAutoencoder; a {type(autoencoder).__name__} has none "
            "(its predict reconstructs). Export a CompositeLSTMAutoencoder, or "
            "leave forecast=False."
        )


def _output(name, elem_type, shape):
    from onnx import helper

    return helper.make_tensor_value_info(name, elem_type, shape)


def _standardize(g, autoencoder, layer, x, future_bad=None):
    """``SequenceInput``: lengths from all-NaN steps, standardize, NaN -> 0.

    As the estimator's own methods do, the offset (the training mean) is
    subtracted in float64 and the result cast to float32; the Keras layer
    holds the same offset in float32, for the standalone ``encoder_``. The
    lengths pass through the input check (``_guarded``), so no output is
    computed from input that ``transform`` refuses.
    """
    from onnx import TensorProto

    raw = g.op("Transpose", x, perm=[1, 0, 2])
    raw64 = g.op("Cast", raw, to=TensorProto.DOUBLE)
    nan = g.op("IsNaN", raw)
    real = g.op("Cast", g.op("Not", nan), to=TensorProto.FLOAT)
    real_steps = g.reduce("ReduceMax", real, [2])  # (T, n): not padding
    n_steps = g.op("Slice", g.op("Shape", raw), g.axes([0]), g.axes([1]))
    # One past each sequence's last step that is not all NaN, as transform.
    positions = g.op("Cast", _step_numbers(g, n_steps, first=1), to=TensorProto.FLOAT)
    lengths = g.reduce("ReduceMax", g.op("Mul", real_steps, positions), [0])
    lengths = g.op("Cast", lengths, to=TensorProto.INT32)
    inside = _step_mask(g, n_steps, lengths)  # (T, n, 1)
    bad = [
        _count(g, g.op("And", nan, inside)),  # NaN inside a sequence
        _count(g, _too_large(g, raw64)),  # infinity, or beyond float32
        _count(g, g.op("Equal", lengths, g.const(np.int32(0)))),  # all NaN
    ]
    lengths = _guarded(g, lengths, bad + ([future_bad] if future_bad else []))
    inputs = _Inputs(
        raw=raw,
        values=None,
        offset=None,
        lengths=lengths,
        n_steps=n_steps,
        raw64=raw64,
    )
    return _network_values(g, autoencoder, layer, inputs, lengths)


def _network_values(g, autoencoder, layer, inputs, lengths):
    """``inputs`` with the values the network reads from sequences of
    ``lengths`` steps: each feature less the training offset, after each
    sequence's standardization (over those steps) with ``sequence_scaling_``,
    as ``_BaseSequenceAutoencoder._input_shift``."""
    from onnx import TensorProto

    offset = getattr(autoencoder, "_offset", None)
    offset = g.const(np.asarray(layer.mean if offset is None else offset, np.float64))
    scale = moments = None
    if getattr(autoencoder, "sequence_scaling_", False):
        offset, scale, moments = _sequence_scaled(
            g, autoencoder, inputs.raw64, inputs.n_steps, lengths, offset
        )
        shifted = g.op("Div", g.op("Sub", inputs.raw64, offset), scale)
    else:
        shifted = g.op("Sub", inputs.raw64, offset)
    centred = g.op("Cast", shifted, to=TensorProto.FLOAT)
    z = g.op("Div", centred, g.const(_weights(layer.scale), "scale"))
    values = g.op("Where", g.op("IsNaN", z), g.const(np.float32(0)), z)
    return dataclasses.replace(
        inputs, values=values, offset=offset, scale=scale, moments=moments
    )


def _sequence_scaled(g, autoencoder, raw64, n_steps, lengths, shift):
    """Each sequence's offset and std (1, n, F), float64, folding the
    training ``shift`` in as ``_input_shift`` does, and the level and log
    size features (n, 2F) float32, as ``transform`` computes them."""
    from onnx import TensorProto

    from ._base import SEQUENCE_STD_FLOOR

    reference_mean, reference_std = autoencoder._sequence_reference
    inside = _step_mask(g, n_steps, lengths)  # (T, n, 1)
    count = g.op("Cast", g.unsqueeze(lengths, [0, 2]), to=TensorProto.DOUBLE)
    zero = g.const(np.float64(0))
    mean = g.op(
        "Div", g.reduce("ReduceSum", g.op("Where", inside, raw64, zero), [0], 1), count
    )
    deviation = g.op("Where", inside, g.op("Sub", raw64, mean), zero)
    variance = g.op(
        "Div", g.reduce("ReduceSum", g.op("Mul", deviation, deviation), [0], 1), count
    )
    floor = g.const(np.asarray(SEQUENCE_STD_FLOOR * reference_std, np.float64))
    std = g.op("Max", g.op("Sqrt", variance), floor)
    offset = g.op("Add", mean, g.op("Mul", shift, std))
    level = g.op(
        "Div", g.op("Sub", mean, g.const(reference_mean)), g.const(reference_std)
    )
    size = g.op("Log", g.op("Div", std, g.const(reference_std)))
    moments = g.squeeze(g.op("Concat", level, size, axis=2), [0])
    return offset, std, g.op("Cast", moments, to=TensorProto.FLOAT)


#: The input check's node name: onnxruntime's error message quotes it.
INPUT_CHECK = (
    "skseqae input check: refused input that transform refuses (NaN inside a "
    "sequence rather than trailing all-NaN padding, an all-NaN sequence, "
    "infinity or a value beyond float32, or NaN in future). Impute or drop "
    "those values or sequences first"
)


def _guarded(g, lengths, bad_counts):
    """``lengths`` as they are if every count is 0, else a runtime error.

    ONNX has no operator that raises, so a ``Reshape`` to one element more
    than ``lengths`` holds fails instead, in every runtime; its node name,
    which runtimes quote in the error, says why.
    """
    total = bad_counts[0]
    for count in bad_counts[1:]:
        total = g.op("Add", total, count)
    ok = g.op("Equal", total, g.const(np.float32(0)))
    shape = g.op("Shape", lengths)
    shape = g.op("Where", ok, shape, g.op("Add", shape, g.const(np.array([1]))))
    return g.op("Reshape", lengths, shape, node_name=INPUT_CHECK)


def _count(g, condition):
    """How many entries of a boolean tensor are true (float32 scalar)."""
    from onnx import TensorProto

    values = g.op("Cast", condition, to=TensorProto.FLOAT)
    return g.op("ReduceSum", values, keepdims=0)  # no axes: all of them


def _too_large(g, x64):
    """Where float64 ``x64`` is infinite or beyond float32 (NaN is not)."""
    return g.op("Greater", g.op("Abs", x64), g.const(np.float64(_FLOAT32_MAX)))


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _future_input(g, name, n_future):
    """The ``future`` input, time-major, and its count of refused values."""
    from onnx import TensorProto

    future = g.op("Transpose", name, perm=[1, 0, 2])
    future64 = g.op("Cast", future, to=TensorProto.DOUBLE)
    missing = g.op("Or", g.op("IsNaN", future), _too_large(g, future64))
    return future, _count(g, missing)


@dataclasses.dataclass
class _Encoded:
    """The code and the (pooled) steps the encoder read."""

    code: str  # (n, code_size) float32
    n_steps: str  # (1,) int64: time steps after pooling
    lengths: str  # (n,) int32: each sequence's length after pooling


def _encode(g, spec, layers, inputs, lengths):
    """The encoder of ``_models._encode`` for sequences of ``lengths`` steps.

    A backward LSTM reads each sequence reversed within its length; the
    readout takes its states in that order, the next layer turned back.
    """
    from onnx import TensorProto

    x, n_steps = inputs.values, inputs.n_steps
    if spec.pool > 1:
        x, n_steps, lengths = _time_pool(g, x, n_steps, lengths, spec.pool)
    lengths64 = g.op("Cast", lengths, to=TensorProto.INT64)
    for i in range(len(spec.units)):
        read = [_lstm(g, layers[f"encoder_lstm_{i}"], x, lengths)]
        if spec.bidirectional:
            backward = layers[f"encoder_backward_lstm_{i}"]
            read.append(_lstm(g, backward, _reverse(g, x, lengths64), lengths))
            unflipped = _reverse(g, read[1][0], lengths64)
            x = g.op("Concat", read[0][0], unflipped, axis=2)
        else:
            x = read[0][0]
    # The last layer's states, backward ones in their processing order.
    states, lasts = zip(*read)
    states = states[0] if len(read) == 1 else g.op("Concat", *states, axis=2)
    lasts = lasts[0] if len(read) == 1 else g.op("Concat", *lasts, axis=1)
    code = _readout(g, spec.encoding, states, lasts, lengths)
    return _Encoded(code, n_steps, lengths)


def _reverse(g, x, lengths64):
    """``ReverseEach``: reverse each sequence's first ``lengths`` steps of (T, n, d)."""
    return g.op("ReverseSequence", x, lengths64, batch_axis=1, time_axis=0)


def _time_pool(g, x, n_steps, lengths, pool):
    """``TimePool``: means of (T, n, F) ``x`` over windows of ``pool`` real steps.

    Returns the pooled steps, their number (ceil(T / pool)) and each
    sequence's pooled length (ceil(lengths / pool)).
    """
    from onnx import TensorProto

    f = g.const(np.array([pool], np.int64))
    pooled_steps = g.op("Div", g.op("Add", n_steps, g.const(np.array([pool - 1]))), f)
    padded_steps = g.op("Mul", pooled_steps, f)
    extra = g.op("Sub", padded_steps, n_steps)
    pads = g.op("Concat", g.const(np.zeros(3, np.int64)), extra, g.axes([0, 0]), axis=0)
    x = g.op("Pad", x, pads)
    real = g.op("Cast", _step_mask(g, padded_steps, lengths), to=TensorProto.FLOAT)

    def window_sums(t):  # (T_pad, n, d) -> (T_pad / pool, n, d)
        tail = g.op("Slice", g.op("Shape", t), g.axes([1]), g.axes([3]))
        shape = g.op("Concat", g.const(np.array([-1, pool])), tail, axis=0)
        return g.reduce("ReduceSum", g.op("Reshape", t, shape), [1])

    counts = g.op("Max", window_sums(real), g.const(np.float32(1)))
    means = g.op("Div", window_sums(g.op("Mul", x, real)), counts)
    up = g.op("Add", lengths, g.const(np.int32(pool - 1)))
    return means, pooled_steps, g.op("Div", up, g.const(np.int32(pool)))


def _repeat_steps(g, x, pool, n_steps):
    """``RepeatSteps``: each step of (T', n, F) ``x`` ``pool`` times, cut to T."""
    tail = g.op("Slice", g.op("Shape", x), g.axes([1]), g.axes([3]))
    x = g.op("Expand", g.unsqueeze(x, [1]), g.const(np.array([1, pool, 1, 1])))
    x = g.op("Reshape", x, g.op("Concat", g.const(np.array([-1])), tail, axis=0))
    return g.op("Slice", x, g.axes([0]), n_steps, g.axes([0]))


def _weights(variable):
    return np.asarray(variable, dtype=np.float32)


def _lstm_stack(g, layers, prefix, x, lengths):
    """The LSTMs ``{prefix}_lstm_0, 1, ...``; all hidden states and the last."""
    last = None
    for i in itertools.count():
        layer = layers.get(f"{prefix}_lstm_{i}")
        if layer is None:
            return x, last
        x, last = _lstm(g, layer, x, lengths)


def _lstm(g, layer, x, lengths):
    """One ONNX LSTM node: (T, n, I) -> (T, n, H) and the state at each length."""
    cell = layer.cell
    if layer.go_backwards or cell.recurrent_activation.__name__ != "sigmoid":
        raise ValueError(
            f"to_onnx: LSTM layer {layer.name!r} runs backwards or has a "
            "recurrent activation other than sigmoid, which the exporter does "
            "not write."
        )
    activation, alpha, beta = _ACTIVATIONS[cell.activation.__name__]
    attrs = {"activations": ["Sigmoid", activation, activation]}
    if alpha is not None:
        attrs["activation_alpha"] = [alpha, alpha]
    if beta is not None:
        attrs["activation_beta"] = [beta, beta]
    kernel, recurrent, bias = _lstm_weights(cell)
    y, y_last, _ = g.op(
        "LSTM",
        x,
        g.const(kernel, f"{layer.name}/W"),
        g.const(recurrent, f"{layer.name}/R"),
        g.const(bias, f"{layer.name}/B"),
        lengths,
        outputs=3,
        hidden_size=cell.units,
        **attrs,
    )
    return g.squeeze(y, [1]), g.squeeze(y_last, [0])


def _lstm_weights(cell):
    """Keras kernels (I, 4H), (H, 4H), (4H,) as ONNX W, R, B, gates reordered."""
    units = cell.units

    def reorder(m):
        return np.concatenate(
            [m[..., k * units : (k + 1) * units] for k in _GATE_ORDER], axis=-1
        )

    kernel = reorder(_weights(cell.kernel)).T[None]
    recurrent = reorder(_weights(cell.recurrent_kernel)).T[None]
    bias = _weights(cell.bias) if cell.use_bias else np.zeros(4 * units, np.float32)
    bias = np.concatenate([reorder(bias), np.zeros(4 * units, np.float32)])[None]
    return kernel, recurrent, bias


def _step_numbers(g, n_steps, first=0):
    """(T, 1) int32: ``first``, ``first + 1``, ... for the ``n_steps`` steps."""
    from onnx import TensorProto

    stop = g.op("Cast", g.squeeze(n_steps, [0]), to=TensorProto.INT32)
    if first:
        stop = g.op("Add", stop, g.const(np.int32(first)))
    steps = g.op("Range", g.const(np.int32(first)), stop, g.const(np.int32(1)))
    return g.unsqueeze(steps, [1])


def _step_mask(g, n_steps, lengths):
    """(T, n, 1) bool: whether step t is one of sequence i's real steps."""
    mask = g.op("Less", _step_numbers(g, n_steps), g.unsqueeze(lengths, [0]))
    return g.unsqueeze(mask, [2])


def _readout(g, encoding, states, last, lengths):
    """``Readout``: last, mean and/or max of (T, n, H) ``states`` over real steps."""
    from onnx import TensorProto

    parts = encoding.split("_")
    out = [last] if "last" in parts else []
    if "mean" in parts or "max" in parts:
        n_steps = g.op("Slice", g.op("Shape", states), g.axes([0]), g.axes([1]))
        mask = _step_mask(g, n_steps, lengths)
    if "mean" in parts:
        total = g.reduce(
            "ReduceSum", g.op("Where", mask, states, g.const(np.float32(0))), [0]
        )
        count = g.unsqueeze(g.op("Cast", lengths, to=TensorProto.FLOAT), [1])
        out.append(g.op("Div", total, count))
    if "max" in parts:
        lowest = g.const(np.finfo(np.float32).min)
        out.append(g.reduce("ReduceMax", g.op("Where", mask, states, lowest), [0]))
    return out[0] if len(out) == 1 else g.op("Concat", *out, axis=1)


# ------------------------------------------------------------------ decoders


def _decoder(g, layers, prefix, code, n_steps, lengths, inputs):
    """``{prefix}`` decoder: code (n, C) repeated ``n_steps`` times -> (T, n, F).

    The output is float64: the float32 network's output (times each
    sequence's std with ``sequence_scaling_``) plus the float64 offset of
    ``inputs``, as the estimators compute it.
    """
    from onnx import TensorProto

    shape = g.op("Concat", n_steps, g.const(np.array([1, 1], np.int64)), axis=0)
    x = g.op("Expand", g.unsqueeze(code, [0]), shape)
    x, _ = _lstm_stack(g, layers, prefix, x, lengths)
    x = _dense(g, layers[f"{prefix}_output"], x)
    scale = _weights(layers[f"{prefix}_unstandardize"].scale)
    x = g.op("Cast", g.op("Mul", x, g.const(scale, "scale")), to=TensorProto.DOUBLE)
    if inputs.scale is not None:
        x = g.op("Mul", x, inputs.scale)
    return g.op("Add", x, inputs.offset)


def _dense(g, layer, x):
    """A linear Dense layer over the last axis."""
    if layer.activation.__name__ != "linear":
        raise ValueError(
            f"to_onnx: the Dense layer {layer.name!r} has activation "
            f"{layer.activation.__name__!r}; the exporter writes a linear one."
        )
    x = g.op("MatMul", x, g.const(_weights(layer.kernel), f"{layer.name}/kernel"))
    if layer.use_bias:
        x = g.op("Add", x, g.const(_weights(layer.bias), f"{layer.name}/bias"))
    return x


def _mse(g, predicted, target, mask, count):
    """Mean squared error over real steps and features, in float64: (n,)."""
    from onnx import TensorProto

    diff = g.op("Sub", predicted, g.op("Cast", target, to=TensorProto.DOUBLE))
    squares = g.op("Mul", diff, diff)
    if mask is not None:
        squares = g.op("Where", mask, squares, g.const(np.float64(0)))
    total = g.reduce("ReduceSum", squares, [0, 2])
    return g.op("Div", total, count)


def _scores(g, autoencoder, spec, layers, inputs, encoded, future=None):
    """The graph of ``score_samples``: negative reconstruction error per sequence.

    With ``future`` (time-major, for a composite fitted on explicit futures),
    the whole input is the context and ``future`` what the forecast is
    scored against, as ``score_samples(X, future=F)``.
    """
    if not spec.n_future:
        error = _reconstruction_error(g, spec, layers, inputs, encoded, inputs.lengths)
        return g.op("Neg", error)
    weight = float(autoencoder.future_weight)
    if future is not None:
        rec = _reconstruction_error(g, spec, layers, inputs, encoded, inputs.lengths)
        steps = g.const(np.array([spec.n_future], np.int64))
        predicted = _decoder(g, layers, "future", encoded.code, steps, "", inputs)
        count = g.const(np.float64(spec.n_future * spec.n_features))
        fut = _mse(g, predicted, future, None, count)
        return _weighted_score(g, rec, fut, weight)
    # As CompositeLSTMAutoencoder._score_errors: the encoder reads each
    # sequence's context (all but its last n_future steps).
    context = g.op("Sub", inputs.lengths, g.const(np.int32(spec.n_future)))
    usable = g.op("Greater", context, g.const(np.int32(0)))
    context = g.op("Max", context, g.const(np.int32(1)))
    if inputs.scale is not None:  # each context standardized by its own moments
        inputs = _network_values(g, autoencoder, layers["standardize"], inputs, context)
    encoded = _encode(g, spec, layers, inputs, context)
    rec = _reconstruction_error(g, spec, layers, inputs, encoded, context)
    fut = _future_error(g, spec, layers, inputs, encoded.code, context)
    score = _weighted_score(g, rec, fut, weight)
    return g.op("Where", usable, score, g.const(np.float64(np.nan)))


def _weighted_score(g, rec, fut, weight):
    """Minus the weighted mean of the two errors, as ``_score_errors``."""
    total = g.op("Add", rec, g.op("Mul", fut, g.const(np.float64(weight))))
    return g.op("Div", total, g.const(np.float64(-(1.0 + weight))))


def _reconstruction_error(g, spec, layers, inputs, encoded, lengths):
    """Error of the reconstruction decoder on each sequence's ``lengths`` steps.

    The decoder runs at the encoder's (pooled) steps, is turned back to
    natural order if it reconstructs reversed, then unpooled.
    """
    from onnx import TensorProto

    rec = _decoder(
        g,
        layers,
        "reconstruction",
        encoded.code,
        encoded.n_steps,
        encoded.lengths,
        inputs,
    )
    if spec.reverse:
        lengths64 = g.op("Cast", encoded.lengths, to=TensorProto.INT64)
        rec = _reverse(g, rec, lengths64)
    if spec.pool > 1:
        rec = _repeat_steps(g, rec, spec.pool, inputs.n_steps)
    mask = _step_mask(g, inputs.n_steps, lengths)
    count = g.op(
        "Mul",
        g.op("Cast", lengths, to=TensorProto.DOUBLE),
        g.const(np.float64(spec.n_features)),
    )
    return _mse(g, rec, inputs.raw, mask, count)


def _forecast(g, spec, layers, code, inputs):
    """The future decoder's ``n_future`` steps from ``code``: (n_future, n, F)."""
    steps = g.const(np.array([spec.n_future], np.int64))
    return _decoder(g, layers, "future", code, steps, "", inputs)


def _future_error(g, spec, layers, inputs, code, context):
    """Error of the future decoder on the ``n_future`` steps after ``context``."""
    from onnx import TensorProto

    forecast = _forecast(g, spec, layers, code, inputs)
    start = g.op("Cast", context, to=TensorProto.INT64)
    steps = g.const(np.arange(spec.n_future, dtype=np.int64).reshape(-1, 1, 1))
    index = g.op("Add", steps, g.op("Reshape", start, g.const(np.array([1, -1, 1]))))
    index = g.op("Expand", index, g.const(np.array([1, 1, spec.n_features])))
    target = g.op("GatherElements", inputs.raw, index, axis=0)
    count = g.const(np.float64(spec.n_future * spec.n_features))
    return _mse(g, forecast, target, None, count)


# ------------------------------------------------------------------ pipeline


def _append_pipeline(proto, rest, autoencoder, opset):
    """Convert the Pipeline's other steps with skl2onnx; feed them ``features``."""
    from onnx import compose, helper

    convert_sklearn = _require("skl2onnx").convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.base import is_classifier

    options = {id(s): {"zipmap": False} for _, s in rest.steps if is_classifier(s)}
    width = autoencoder._n_features_out
    try:
        tail = convert_sklearn(
            rest,
            initial_types=[("features", FloatTensorType([None, width]))],
            target_opset={"": opset, "ai.onnx.ml": _ml_opset(opset)},
            options=options,
        )
    except Exception as exc:
        raise ValueError(
            "to_onnx: skl2onnx could not convert the Pipeline steps after the "
            f"autoencoder ({[n for n, _ in rest.steps]}): {exc} Use steps that "
            "skl2onnx supports, or export the autoencoder alone and run the "
            "other steps yourself."
        ) from exc
    tail = _at_opset(tail, opset)
    # merge_models needs equal IR versions; the newer one reads both graphs.
    ir_version = max(proto.ir_version, tail.ir_version)
    proto.ir_version = tail.ir_version = ir_version
    (tail_input,) = tail.graph.input
    merged = compose.merge_models(proto, tail, io_map=[("features", tail_input.name)])
    # The pipeline's outputs first, then ours; one entry per opset.
    ours = {"score_samples": 1, "forecast": 2}
    outputs = sorted(merged.graph.output, key=lambda o: ours.get(o.name, 0))
    opsets = {o.domain: o.version for o in merged.opset_import}
    del merged.graph.output[:], merged.opset_import[:]
    merged.graph.output.extend(outputs)
    merged.opset_import.extend(helper.make_opsetid(*item) for item in opsets.items())
    return merged


def _at_opset(tail, opset):
    """``tail`` in the default domain's ``opset``, as merging needs.

    skl2onnx writes each model in the lowest opset its operators need
    (PCA's and SVC's graphs in opset 9, say), not in the target; ONNX's
    version converter rewrites it in ours.
    """
    from onnx import version_converter

    versions = {o.domain: o.version for o in tail.opset_import}
    if versions.get("", opset) == opset:
        return tail
    try:  # other domains (ai.onnx.ml) stay as they are
        return version_converter.convert_version(tail, opset)
    except Exception as exc:
        raise ValueError(
            f"to_onnx: skl2onnx wrote the Pipeline's other steps in opset "
            f"{versions['']}, and ONNX's version converter could not rewrite them "
            f"in target_opset={opset} ({exc}). Pass target_opset={versions['']} "
            "if it is 13 or later, or export the autoencoder alone."
        ) from exc


def _ml_opset(opset):
    """The ai.onnx.ml opset released with ``opset`` (as skl2onnx pairs them)."""
    return 3 if opset >= 16 else (2 if opset >= 12 else 1)
