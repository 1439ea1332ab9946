"""Compiled TensorFlow code per architecture, shared by all fits and predictions.

Tracing a TensorFlow function costs seconds, far more than an epoch on small
data, and scikit-learn fits the same architecture again and again
(cross-validation folds, grid-search candidates, refits). So the traced
functions live here, one :class:`Architecture` per :class:`NetworkSpec`, in
a small cache, and never in an estimator. Every traced function takes the
weights it works on as arguments, so estimators share compiled code but
never weights:

- inference functions take the variables' resource handles, read them in
  the graph and run the model with Keras' ``stateless_call``;
- training steps take the ``tf.Variable`` objects of the fit's own model and
  of its own Keras optimizer, and update them in place. TensorFlow keys a
  trace on a variable's shape and dtype, not on its identity, so one trace
  serves every fit of the architecture, in any number of threads at once,
  with no lock held while training.

A training step is traced on the architecture's template model and a
template optimizer whose Keras variables are pointed, for the duration of
the trace only, at the argument variables (:func:`_pointed_at`). The graph
thus reads and writes the arguments; the template's own variables are never
touched.
"""

import contextlib
import threading
from collections import OrderedDict

from ._backend import keras, tf
from ._layers import batch_identity as fixed_batch_identity
from ._models import build_networks

_CACHE_SIZE = 8
_cache = OrderedDict()
_cache_lock = threading.Lock()


def architecture(spec):
    """The (cached) :class:`Architecture` of ``spec``."""
    with _cache_lock:
        arch = _cache.pop(spec, None) or Architecture(spec)
        _cache[spec] = arch
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return arch


class Architecture:
    """A template of the networks of ``spec`` and its traced functions.

    Attributes
    ----------
    networks : Networks
        Template models: the structure the traced functions are built from.
        Their variables are never trained.
    lock : threading.Lock
        Held while a training step is traced on the template.
    """

    def __init__(self, spec):
        self.spec = spec
        self.networks = build_networks(spec, seed=0, n_timesteps=1)
        self.lock = threading.Lock()
        self._steps = {}
        self._parts = {}

    def run(self, part, weights, x):
        """One part of the networks on ``x``, with the weights ``weights``.

        Parameters
        ----------
        part : str
            ``"encoder"`` (sequences to codes), ``"autoencoder"`` (sequences
            to every output), an output name such as ``"reconstruction"`` or
            ``"future"`` (sequences to that output alone: the other decoder
            does not run), or ``"decoder"`` (codes and a ``(batch, T, 0)``
            array, which gives the length, to ``T`` reconstructed steps).
        weights : tuple of two lists
            Resource handles (``variable.handle``) of the trainable and the
            non-trainable variables of a whole autoencoder of this
            architecture, in the order of its ``trainable_variables`` and
            ``non_trainable_variables``; each part picks its own. The graph
            reads them, which costs far less than reading each variable
            from Python (issue #12). The standardization layers' ``mean``
            is taken as zero: callers feed inputs already centred.
        x : tensor, or tuple of two tensors for ``"decoder"``

        Returns
        -------
        tensor or list of tensors
        """
        with self.lock:  # held for microseconds: traces happen at the first call
            if part not in self._parts:
                self._parts[part] = _traced_part(self.networks, self.spec, part)
        fn, (trainable, non_trainable) = self._parts[part]
        picked = [weights[0][i] for i in trainable]
        return fn(x, picked, [weights[1][i] for i in non_trainable])

    def steps(self, optimizer, batch_identity=None):
        """The (cached) :class:`TrainingSteps` for an optimizer configuration.

        ``batch_identity`` fixes the decoder's input path in the traced step
        (see :func:`skseqae._layers.batch_identity`).
        """
        key = (optimizer_key(optimizer), batch_identity)
        with self.lock:
            if key not in self._steps:
                self._steps[key] = TrainingSteps(self, optimizer, batch_identity)
            return self._steps[key]


def make_optimizer(optimizer, learning_rate=None):
    """A fresh Keras optimizer from a name or by copying an instance's config."""
    if isinstance(optimizer, str):
        optimizer = keras.optimizers.get(optimizer)
        if learning_rate is not None:
            optimizer.learning_rate = learning_rate
        return optimizer
    return type(optimizer).from_config(optimizer.get_config())


def optimizer_key(optimizer):
    """What fixes an optimizer's traced update: its class and configuration."""
    if isinstance(optimizer, str):
        return optimizer
    config = optimizer.get_config()
    return (type(optimizer).__name__, repr(sorted(config.items())))


class TrainingSteps:
    """Traced train and eval steps of an architecture with one optimizer.

    ``train_step(variables, inputs, targets, lengths, loss_weights)`` runs one
    gradient step on ``variables``: a fit's ``model.variables`` followed by
    its optimizer's ``variables`` (an optimizer of this configuration built
    on ``model.trainable_variables``), all updated in place. ``eval_step``
    takes ``model.variables`` only and changes nothing. Both return the
    total loss followed by each output's loss (batch means).

    Attributes
    ----------
    n_traces : int
        How often the Python step functions ran (each is traced exactly once).
    """

    def __init__(self, arch, optimizer, batch_identity=None):
        self.spec = spec = arch.spec
        self._networks = arch.networks
        self._optimizer = make_optimizer(optimizer)
        self._optimizer.build(self._networks.model.trainable_variables)
        self.n_traces = 0
        model_vars = _tf_variables(self._networks.model.variables)
        all_vars = model_vars + _tf_variables(self._optimizer.variables)
        F = spec.n_features
        data = [
            tf.TensorSpec((None, None, F), tf.float32),
            tuple(
                tf.TensorSpec((None, spec.n_future if n == "future" else None, F))
                for n in spec.output_names
            ),
            tuple(tf.TensorSpec((None,), tf.int32) for _ in spec.output_names),
            tf.TensorSpec((len(spec.output_names),), tf.float32),
        ]
        with fixed_batch_identity(batch_identity):
            self.train_step = _concrete(self._train_step, all_vars, data)
        self._eval_signature = (model_vars, data)
        # Traced on the shared template, like the train step: under its lock.
        self._eval_traced, self._template_lock = None, arch.lock
        # A name, or a private copy (the user's instance is never kept).
        self._config = (
            optimizer if isinstance(optimizer, str) else make_optimizer(optimizer)
        )
        self._fresh_state = [v.numpy() for v in self._optimizer.variables]
        self._spare, self._spare_lock = [], threading.Lock()

    @contextlib.contextmanager
    def optimizer(self):
        """A fit's own optimizer of this configuration, in its initial state.

        Building a Keras optimizer costs about 30 ms (one Keras variable per
        weight and slot), a third of a small fit, so optimizers are reused:
        each is built on the template's weights, handed to one fit at a time
        and reset to the initial state before the next. The traced step takes
        its variables as arguments and so never uses what it was built on.
        """
        with self._spare_lock:
            optimizer = self._spare.pop() if self._spare else None
        if optimizer is None:
            optimizer = make_optimizer(self._config)
            optimizer.build(self._networks.model.trainable_variables)
        else:
            for variable, value in zip(optimizer.variables, self._fresh_state):
                variable.assign(value)
        try:
            yield optimizer
        finally:
            with self._spare_lock:
                self._spare.append(optimizer)

    @property
    def eval_step(self):
        """The traced eval step, traced on first use: a fit without held-out
        data (``validation_fraction=None``) never waits for its tracing."""
        with self._template_lock:
            if self._eval_traced is None:
                variables, data = self._eval_signature
                self._eval_traced = _concrete(self._eval_step, variables, data)
        return self._eval_traced

    def _train_step(self, variables, inputs, targets, lengths, loss_weights):
        self.n_traces += 1
        model, optimizer = self._networks.model, self._optimizer
        with _pointed_at(model.variables + optimizer.variables, variables):
            with optimizer_indexed(optimizer):
                with tf.GradientTape() as tape:
                    loss, per_output = self._losses(
                        inputs, targets, lengths, loss_weights, True
                    )
                grads = tape.gradient(loss, model.trainable_variables)
                if _fused_adam_applies(optimizer):
                    _apply_adam(optimizer, grads, model.trainable_variables)
                else:
                    optimizer.apply(grads)
        return tf.stack([loss] + [tf.reduce_mean(p) for p in per_output])

    def _eval_step(self, variables, inputs, targets, lengths, loss_weights):
        self.n_traces += 1
        with _pointed_at(self._networks.model.variables, variables):
            loss, per_output = self._losses(
                inputs, targets, lengths, loss_weights, False
            )
        return tf.stack([loss] + [tf.reduce_mean(p) for p in per_output])

    def _losses(self, inputs, targets, lengths, loss_weights, training):
        outputs = self._networks.model(inputs, training=training)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        inverse_scale = 1.0 / self._networks.input_layer.scale
        per_output = [
            _masked_mse(out, target, n, inverse_scale)
            for out, target, n in zip(outputs, targets, lengths)
        ]
        weights = tf.unstack(loss_weights)
        total = tf.add_n([w * loss for w, loss in zip(weights, per_output)])
        return tf.reduce_mean(total), per_output


def _fused_adam_applies(optimizer):
    """Whether :func:`_apply_adam` makes ``optimizer.apply``'s update.

    (To float32 round-off.) A plain Keras Adam (the default
    ``optimizer="adam"``): no AMSGrad, clipping, weight decay, moving
    average, gradient accumulation, loss scale or learning-rate schedule,
    outside any distribution strategy, on weights without constraints that
    take their gradients as updates.
    """
    return (
        type(optimizer) is keras.optimizers.Adam
        and not optimizer.amsgrad
        and optimizer.clipnorm is None
        and optimizer.clipvalue is None
        and optimizer.global_clipnorm is None
        and not optimizer.weight_decay
        and not optimizer.use_ema
        and not optimizer.gradient_accumulation_steps
        and optimizer.loss_scale_factor is None
        and isinstance(optimizer._learning_rate, keras.Variable)
        and not tf.distribute.has_strategy()
        and all(
            v.constraint is None
            and v.dtype == "float32"
            and not getattr(v, "overwrite_with_gradient", False)
            for v in optimizer._trainable_variables
        )
    )


def _apply_adam(optimizer, grads, variables):
    """Keras Adam's update, one fused ``ResourceApplyAdam`` op per weight.

    The same formulas as ``keras.optimizers.Adam.update_step`` (TensorFlow's
    kernel computes ``1 - beta`` in float32 where Keras rounds it from a
    double: round-off). Keras emits about 20 ops per weight: in the traced
    training step of the default network (11 weights) that is 220 ops to
    trace, optimize and run at every batch, against 11 (speed issue #12).
    Weights without a gradient are left alone, as Keras does.
    """
    step = tf.cast(optimizer.iterations.value + 1, tf.float32)
    beta_1 = tf.constant(optimizer.beta_1, tf.float32)
    beta_2 = tf.constant(optimizer.beta_2, tf.float32)
    common = dict(
        beta1_power=tf.pow(beta_1, step),
        beta2_power=tf.pow(beta_2, step),
        lr=tf.cast(optimizer.learning_rate, tf.float32),
        beta1=beta_1,
        beta2=beta_2,
        epsilon=tf.constant(optimizer.epsilon, tf.float32),
    )
    for grad, variable in zip(grads, variables):
        if grad is None:
            continue
        index = optimizer._get_variable_index(variable)
        tf.raw_ops.ResourceApplyAdam(
            var=variable.value.handle,
            m=optimizer._momentums[index].value.handle,
            v=optimizer._velocities[index].value.handle,
            grad=tf.convert_to_tensor(grad),
            **common,
        )
    optimizer.iterations.assign_add(1)


def _masked_mse(outputs, targets, lengths, inverse_scale):
    """Per-sequence mean squared error over real steps, in standardized units."""
    steps = tf.shape(targets)[1]
    outputs = outputs[:, :steps]
    mask = tf.sequence_mask(lengths, steps, dtype=outputs.dtype)
    err = tf.reduce_mean(tf.square((outputs - targets) * inverse_scale), axis=-1)
    return tf.reduce_sum(err * mask, axis=1) / tf.cast(lengths, outputs.dtype)


@contextlib.contextmanager
def _pointed_at(keras_variables, tf_variables):
    """Let ``keras_variables`` read and write ``tf_variables`` for a while.

    A Keras variable on the TensorFlow backend keeps its storage, a
    ``tf.Variable``, in ``_value``; every read, assignment and gradient goes
    through it. (Keras' own ``stateless_apply`` would be the public way, but
    its TensorFlow backend refuses it.) ``tests/test_training.py`` checks that
    a step traced this way trains like Keras, to float32 round-off.
    """
    keras_variables = list(keras_variables)
    if len(keras_variables) != len(tf_variables):
        raise ValueError(
            f"A training step expects {len(keras_variables)} variables, got "
            f"{len(tf_variables)}: the model or optimizer does not match the "
            "architecture it was traced for."
        )
    saved = [v._value for v in keras_variables]
    for keras_variable, tf_variable in zip(keras_variables, tf_variables):
        keras_variable._value = tf_variable
    try:
        yield
    finally:
        for keras_variable, value in zip(keras_variables, saved):
            keras_variable._value = value


@contextlib.contextmanager
def optimizer_indexed(optimizer):
    """Re-key the optimizer's variable index while its variables are pointed.

    Keras' TensorFlow optimizer finds a weight's slots (momentum, velocity)
    by the identity of the weight's ``tf.Variable``; under
    :func:`_pointed_at` that is the argument, so the index is rebuilt for
    the trace and put back afterwards.
    """
    saved = optimizer._trainable_variables_indices
    optimizer._trainable_variables_indices = {
        optimizer._var_key(v): i for i, v in enumerate(optimizer._trainable_variables)
    }
    try:
        yield
    finally:
        optimizer._trainable_variables_indices = saved


def _tf_variables(keras_variables):
    return [v.value for v in keras_variables]


def _concrete(fn, variables, data_signature):
    """Trace ``fn(variables, *data)`` once; calls never retrace.

    The concrete function accepts any variables of the traced shapes and
    dtypes, and data of any batch size and length, and raises (rather than
    retracing) on anything else.
    """
    # No AutoGraph: the steps' Python branches are on Python values only,
    # and converting them is part of what a new architecture's fit waits for.
    traced = tf.function(fn, autograph=False)
    traced._omit_frequent_tracing_warning = True  # see traced_once
    return traced.get_concrete_function(variables, *data_signature)


def _traced_part(networks, spec, part):
    """The traced function of :meth:`Architecture.run` and its weights' positions."""
    model = networks.model
    if part == "encoder":
        sub = networks.encoder
    elif part == "decoder":
        sub = _decoder_of_any_length(networks.decoders["reconstruction"])
    elif part == "autoencoder":
        sub = model
    else:
        sub = keras.Model(model.inputs, model.outputs[spec.output_names.index(part)])
    inputs = [tf.TensorSpec(t.shape, t.dtype) for t in sub.inputs]
    centred = {id(layer.mean) for layer in networks.scaling_layers}
    fn = _reading_handles(sub, inputs[0] if len(inputs) == 1 else inputs, centred)
    return _called_flat(fn), (
        _positions(model.trainable_variables, sub.trainable_variables),
        _positions(model.non_trainable_variables, sub.non_trainable_variables),
    )


def _called_flat(traced):
    """``traced`` (fixed signature) called straight through its concrete function.

    tf.function's own call binds the arguments to the signature and converts
    each weight through it: about 0.5 ms a call, more than the graph takes
    for one short sequence (speed issue #12). The flat call skips that
    machinery; each input that is not yet a tensor of the dtype its place in
    the signature has is converted once, in the order the signature
    flattens them.
    """
    concrete = traced.get_concrete_function()
    dtypes = [s.dtype for s in tf.nest.flatten(concrete.structured_input_signature)]
    captured = concrete.captured_inputs
    call_flat = getattr(concrete, "_call_flat", None)  # private: absent = public path
    if call_flat is None:
        return concrete

    def call(*args):
        flat = tf.nest.flatten(args)
        if len(flat) != len(dtypes):
            return concrete(*args)  # the public call raises the signature's error
        return call_flat([_as_tensor(t, d) for t, d in zip(flat, dtypes)], captured)

    return call


def _as_tensor(value, dtype):
    """``value`` as a tensor of ``dtype``; a tensor of that dtype as it is.

    Skipping ``convert_to_tensor`` for the variables' handles, already
    tensors, saves about 10 microseconds each per call.
    """
    if isinstance(value, tf.Tensor) and value.dtype == dtype:
        return value
    return tf.convert_to_tensor(value, dtype)


def _positions(variables, subset):
    index = {id(v): i for i, v in enumerate(variables)}
    return [index[id(v)] for v in subset]


def _decoder_of_any_length(decoder):
    """``decoder``'s layers after a repeat to the length of a second input."""
    from ._layers import RepeatToLength

    code = keras.Input(decoder.inputs[0].shape[1:], name="features")
    steps = keras.Input((None, 0), name="steps")
    x = RepeatToLength(name="repeat_to_steps")(code, steps)
    for layer in decoder.layers:
        if not isinstance(layer, (keras.layers.InputLayer, keras.layers.RepeatVector)):
            x = layer(x)
    return keras.Model([code, steps], x, name="decoder_of_any_length")


def _reading_handles(model, inputs, zeroed):
    """``model`` at inference, its variables passed as resource handles.

    The traced function reads each variable in the graph; the variables
    whose ``id`` (in ``model``) is in ``zeroed`` are replaced by zeros.
    """
    handle = tf.TensorSpec((), tf.resource)
    trainable, non_trainable = model.trainable_variables, model.non_trainable_variables
    signature = [inputs, [handle] * len(trainable), [handle] * len(non_trainable)]

    def read(handles, variables):
        values = []
        for h, v in zip(handles, variables):
            if id(v) in zeroed:
                values.append(tf.zeros(v.shape, v.dtype))
            else:
                values.append(tf.raw_ops.ReadVariableOp(resource=h, dtype=v.dtype))
                values[-1].set_shape(v.shape)
        return values

    def call(x, trainable_handles, non_trainable_handles):
        outputs, _ = model.stateless_call(
            read(trainable_handles, trainable),
            read(non_trainable_handles, non_trainable),
            x,
            training=False,
        )
        return outputs

    return traced_once(call, signature)


def traced_once(fn, signature):
    """``tf.function`` with a fixed signature: traced exactly once.

    TensorFlow counts traces per Python code object, so one function per
    architecture (each traced once) looks like "frequent retracing" after five
    architectures and logs a warning. Ours never retrace; that check is off.
    """
    traced = tf.function(fn, input_signature=signature)
    traced._omit_frequent_tracing_warning = True  # private; absent = warning only
    return traced
