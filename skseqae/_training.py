"""The training loop: batches, early stopping, divergence, Keras callbacks.

Each fit trains its own model with its own Keras optimizer: the traced
steps its architecture shares (see ``_compiled``) take the fit's variables
as arguments and update them in place. So fits run in parallel in threads,
a callback may fit another estimator, and Keras callbacks see the
estimator's own model, with ``model.optimizer`` set while training, exactly
as in ``model.fit``. The optimizer's state leaves a fit as NumPy arrays
(:class:`FitResult`), from which ``warm_start`` and ``partial_fit`` resume.
"""

from dataclasses import dataclass, replace

import numpy as np

from ._backend import keras, tf
from ._compiled import architecture, optimizer_key
from ._layers import batch_identity_applies


@dataclass(frozen=True)
class TrainingData:
    """What the encoder reads and the targets of each output, padded per batch.

    Nothing is padded up front: :meth:`take` builds each batch from the
    user's data (see ``Sequences.batch``), padded only to that batch's
    longest sequence, so a fit on a ragged list never holds the whole list
    padded to its longest sequence.

    Attributes
    ----------
    inputs : Sequences
        What the encoder reads (already shifted by the estimator's offset).
    targets : tuple of Sequences
        One per model output (reconstruction, then future if any), aligned
        with ``inputs`` (the same object when the target is the input).
    """

    inputs: object
    targets: tuple

    @property
    def lengths(self):
        """Real length of each input sequence, ndarray of shape (n,)."""
        return self.inputs.lengths

    @property
    def n_timesteps(self):
        """Padded length of the inputs (the array's time axis, or the longest)."""
        return self.inputs.width

    def shifted(self, offset, scale=None):
        """The same data with ``offset`` subtracted (in float64) from every
        batch, then divided by the per-sequence ``scale`` if given."""
        inputs = self.inputs.shifted(offset, scale)
        targets = tuple(
            inputs if t is self.inputs else t.shifted(offset, scale)
            for t in self.targets
        )
        return TrainingData(inputs, targets)

    def take(self, index):
        """The batch ``index``: ``(inputs, targets, lengths)``.

        ``inputs`` is float32 (len(index), T, F), NaN at padded steps, T the
        batch's longest; ``targets`` a tuple of float32 arrays, zero at padded
        steps; ``lengths`` a tuple of int32 target lengths.
        """
        inputs = self.inputs.batch(index)
        targets, lengths = [], []
        for target in self.targets:
            values = inputs if target is self.inputs else target.batch(index)
            targets.append(np.nan_to_num(values, nan=0.0))
            lengths.append(target.lengths[index].astype(np.int32))
        return inputs, tuple(targets), tuple(lengths)


@dataclass(frozen=True)
class FitSettings:
    """The estimator's training parameters, validated.

    ``initial_epoch`` numbers the first epoch (for callbacks and progress)
    when training continues (``warm_start``, ``partial_fit``).
    """

    epochs: int
    batch_size: object  # int, or "auto" until train() resolves it
    learning_rate: float
    optimizer: object
    loss_weights: tuple
    validation_fraction: object
    patience: object
    shuffle: bool
    callbacks: tuple
    verbose: int
    initial_epoch: int = 0


@dataclass(frozen=True)
class FitResult:
    """What a training run leaves behind.

    Attributes
    ----------
    history : dict of list of float
        Per-epoch logs, as in Keras' ``History``.
    n_epochs : int
        Epochs run.
    optimizer_state : dict
        ``{"key": ..., "values": [ndarray, ...]}``: the optimizer's
        configuration key and the values of its variables (iterations,
        learning rate, slots), to resume from with :func:`train`.
    """

    history: dict
    n_epochs: int
    optimizer_state: dict


def train(model, spec, data, settings, rng, owner, optimizer_state=None, at_rest=None):
    """Train ``model`` in place; return a :class:`FitResult`.

    Parameters
    ----------
    model : keras.Model
        The estimator's own autoencoder.
    spec : NetworkSpec
        Their architecture (the cache key of the traced steps).
    data : TrainingData
    settings : FitSettings
    rng : numpy.random.Generator
        Drives the validation split and shuffling.
    owner : str
        Estimator name for messages.
    optimizer_state : dict or None
        A previous :class:`FitResult`'s ``optimizer_state`` to resume from;
        ignored when the optimizer's configuration has changed since.
    at_rest : callable or None
        Returns a context manager under which ``settings.callbacks`` run:
        the estimator's shows them the model as it is at rest (with its
        standardization means, which training holds at zero).
    """
    train_idx, val_idx = _split(len(data.lengths), settings.validation_fraction, rng)
    settings = replace(
        settings, batch_size=resolve_batch_size(settings.batch_size, len(train_idx))
    )
    choice = not spec.conditional and batch_identity_applies(
        settings.batch_size, spec.code_size, spec.units[-1]
    )
    steps = architecture(spec).steps(settings.optimizer, choice)
    with steps.optimizer() as optimizer:
        _resume(optimizer, settings, optimizer_state)
        loop = _EpochLoop(steps, model, optimizer, data, settings, rng, owner, at_rest)
        model.optimizer = optimizer  # what Keras callbacks expect, as in model.fit
        try:
            history = loop.run(train_idx, val_idx)
        finally:
            # The live optimizer stays out of the fitted model: its state
            # leaves as NumPy arrays, and pickled models keep their size.
            model.optimizer = None
        state = {
            "key": optimizer_key(settings.optimizer),
            "values": [np.array(v.numpy()) for v in optimizer.variables],
        }
    return FitResult(history, loop.n_epochs, state)


def _resume(optimizer, settings, state):
    """Set the learning rate, and the state of a previous run to resume from."""
    if state is not None and state["key"] == optimizer_key(settings.optimizer):
        for variable, value in zip(optimizer.variables, state["values"]):
            variable.assign(value)
    if isinstance(settings.optimizer, str):  # the parameter wins over the state
        optimizer.learning_rate = settings.learning_rate


#: ``batch_size="auto"`` cuts every epoch into at least this many steps ...
MIN_STEPS_PER_EPOCH = 8
#: ... with batches of at most this many sequences.
MAX_AUTO_BATCH_SIZE = 32


def resolve_batch_size(batch_size, n_train):
    """The batch size for ``n_train`` training sequences.

    ``"auto"`` is 32 from 256 training sequences up and smaller below, so
    that small data sets still get :data:`MIN_STEPS_PER_EPOCH` optimizer
    steps per epoch (a set of 20 sequences in batches of 32 would get one
    step per epoch and stop barely trained).
    """
    if batch_size != "auto":
        return batch_size
    return int(min(MAX_AUTO_BATCH_SIZE, max(1, n_train // MIN_STEPS_PER_EPOCH)))


def _split(n, fraction, rng):
    order = rng.permutation(n)
    n_val = int(np.floor(n * fraction)) if fraction else 0
    if n_val == 0 or n_val == n:
        return np.sort(order), None
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def batches(lengths, batch_size, rng, shuffle):
    """Index arrays of mini-batches, grouped by length.

    Sequences of similar length go together so that a batch is padded only
    to its own longest sequence; with equal lengths this is plain shuffled
    batching. Shuffling mixes sequences within windows of 16 batches and
    shuffles the order of the batches.
    """
    n = len(lengths)
    order = rng.permutation(n) if shuffle else np.arange(n)
    window = batch_size * 16
    groups = []
    for start in range(0, n, window):
        chunk = order[start : start + window]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        groups.extend(
            chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)
        )
    if shuffle:
        groups = [groups[i] for i in rng.permutation(len(groups))]
    return groups


class _History(keras.callbacks.Callback):
    """Per-epoch logs, including what callbacks add (e.g. ``learning_rate``)."""

    def __init__(self):
        super().__init__()
        self.logs = {}

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.logs.setdefault(key, []).append(float(value))


class _CallbacksAtRest(keras.callbacks.CallbackList):
    """A ``CallbackList`` whose hooks each run under ``self.at_rest()``.

    Training holds the model's standardization means at zero (the data come
    centred in float64); the callbacks see, save and evaluate the model with
    its means, as it is before and after ``fit``.
    """


def _hook_at_rest(name):
    hook = getattr(keras.callbacks.CallbackList, name)
    default = getattr(keras.callbacks.Callback, name)
    per_batch = "batch" in name

    def run(self, *args, **kwargs):
        # Batch hooks run at every step: set the means only for callbacks
        # that implement them (most callbacks act per epoch).
        if per_batch and all(getattr(type(c), name) is default for c in self.callbacks):
            return hook(self, *args, **kwargs)
        with self.at_rest():
            return hook(self, *args, **kwargs)

    run.__name__ = name
    return run


for _name in (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
):
    setattr(_CallbacksAtRest, _name, _hook_at_rest(_name))


class _EpochLoop:
    """One fit's epochs: progress, callbacks, early stopping, divergence."""

    def __init__(self, steps, model, optimizer, data, settings, rng, owner, at_rest):
        self.steps, self.model, self.data, self.lengths = (
            steps,
            model,
            data,
            data.lengths,
        )
        self.settings, self.rng, self.owner = settings, rng, owner
        self.model_variables = [v.value for v in model.variables]
        self.variables = self.model_variables + [v.value for v in optimizer.variables]
        self.loss_weights = tf.constant(settings.loss_weights, tf.float32)
        self.best_weights = None
        self.n_epochs = 0
        self.history = _History()  # last, so that it sees what others logged
        at_rest = at_rest if settings.callbacks else None
        self.callbacks = (
            _CallbacksAtRest if at_rest else keras.callbacks.CallbackList
        )(
            [*settings.callbacks, self.history],
            model=model,
            epochs=settings.initial_epoch + settings.epochs,
            verbose=settings.verbose,
        )
        self.callbacks.at_rest = at_rest

    def run(self, train_idx, val_idx):
        s = self.settings
        logs = {}
        best, waited = np.inf, 0
        monitor = "val_loss" if val_idx is not None else "loss"
        self.model.stop_training = False
        self.callbacks.on_train_begin()
        for epoch in range(s.initial_epoch, s.initial_epoch + s.epochs):
            logs = self._epoch(epoch, train_idx, val_idx)
            self.n_epochs += 1
            self.callbacks.on_epoch_end(epoch, logs)
            if s.patience is not None:
                if logs[monitor] < best:
                    best, waited = logs[monitor], 0
                    self.best_weights = [
                        v.numpy() for v in self.model.trainable_variables
                    ]
                else:
                    waited += 1
            if self.model.stop_training or (
                s.patience is not None and waited >= s.patience
            ):
                break
        if self.best_weights is not None:
            for variable, value in zip(
                self.model.trainable_variables, self.best_weights
            ):
                variable.assign(value)
        self.callbacks.on_train_end(logs)
        return self.history.logs

    def _epoch(self, epoch, train_idx, val_idx):
        s = self.settings
        groups = batches(self.lengths[train_idx], s.batch_size, self.rng, s.shuffle)
        self.callbacks.set_params({**self.callbacks.params, "steps": len(groups)})
        progress = None
        if s.verbose:
            print(f"Epoch {epoch + 1}/{s.initial_epoch + s.epochs}")
            progress = keras.utils.Progbar(len(groups), verbose=s.verbose)
        self.callbacks.on_epoch_begin(epoch)
        sums, count = None, 0
        for step, group in enumerate(groups):
            idx = train_idx[group]
            self.callbacks.on_train_batch_begin(step)
            losses = self._step(self.steps.train_step, self.variables, idx)
            self._check_finite(epoch, losses[0])
            sums = losses * len(idx) if sums is None else sums + losses * len(idx)
            count += len(idx)
            # Like Keras: batch logs hold the epoch's running mean.
            self.callbacks.on_train_batch_end(step, self._logs(sums / count, ""))
            if progress is not None:
                progress.update(step + 1, [("loss", losses[0])], finalize=False)
            if self.model.stop_training:
                break
        logs = self._logs(sums / count, "")
        if val_idx is not None:
            logs.update(self._logs(self._evaluate(val_idx), "val_"))
        if progress is not None:
            progress.update(len(groups), list(logs.items()), finalize=True)
        return logs

    def _step(self, fn, variables, idx):
        inputs, targets, lengths = self.data.take(idx)
        losses = fn(variables, inputs, targets, lengths, self.loss_weights)
        return losses.numpy().astype(np.float64)

    def _evaluate(self, idx):
        groups = batches(
            self.lengths[idx], max(self.settings.batch_size, 256), None, False
        )
        self.callbacks.on_test_begin()
        total = 0.0
        for step, g in enumerate(groups):
            self.callbacks.on_test_batch_begin(step)
            total = total + self._step(
                self.steps.eval_step, self.model_variables, idx[g]
            ) * len(g)
            self.callbacks.on_test_batch_end(step)
        losses = total / len(idx)
        self.callbacks.on_test_end(self._logs(losses, ""))
        return losses

    def _logs(self, losses, prefix):
        logs = {f"{prefix}loss": float(losses[0])}
        if len(losses) > 2:
            for name, value in zip(self.steps.spec.output_names, losses[1:]):
                logs[f"{prefix}{name}_loss"] = float(value)
        return logs

    def _check_finite(self, epoch, loss):
        if np.isfinite(loss):
            return
        s = self.settings
        raise FloatingPointError(
            f"{self.owner}: training diverged in epoch {epoch + 1} (the loss became "
            f"{loss}). Lower learning_rate (it is {s.learning_rate}), use "
            "activation='tanh' (bounded) instead of an unbounded one such as "
            "'relu', and keep scale=True so that inputs are standardized."
        )
