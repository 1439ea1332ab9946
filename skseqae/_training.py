"""The training loop: batches, masked losses, early stopping, divergence.

Training runs on the cached template of the architecture (see
``_compiled``): the estimator's freshly built model lends its initial
weights to the template, the template trains with a traced step, and the
trained weights go back to the estimator's model.
"""

from dataclasses import dataclass

import numpy as np

from ._backend import keras, tf
from ._compiled import architecture, traced_once


@dataclass(frozen=True)
class TrainingData:
    """Inputs and the targets of each model output, NaN-padded.

    Attributes
    ----------
    inputs : ndarray of shape (n, T, F)
        What the encoder reads.
    lengths : ndarray of shape (n,)
        Real length of each input sequence.
    targets : tuple of ndarray of shape (n, T_k, F)
        One per model output (reconstruction, then future if any).
    target_lengths : tuple of ndarray of shape (n,)
        Real length of each target sequence.
    """

    inputs: np.ndarray
    lengths: np.ndarray
    targets: tuple
    target_lengths: tuple

    def take(self, index):
        """The sequences at ``index``, padded only to their own longest."""
        inputs = self.inputs[index, : int(self.lengths[index].max())]
        targets, lengths = [], []
        for target, n in zip(self.targets, self.target_lengths):
            n = n[index]
            targets.append(np.nan_to_num(target[index, : int(n.max())], nan=0.0))
            lengths.append(n.astype(np.int32))
        return inputs, tuple(targets), tuple(lengths)


@dataclass(frozen=True)
class FitSettings:
    """The estimator's training parameters, validated."""

    epochs: int
    batch_size: int
    learning_rate: float
    optimizer: object
    loss_weights: tuple
    validation_fraction: object
    patience: object
    shuffle: bool
    callbacks: tuple
    verbose: int


def train(networks, spec, data, settings, rng, owner):
    """Train ``networks.model`` in place; return ``(history, n_epochs)``.

    Parameters
    ----------
    networks : Networks
        The estimator's freshly built models.
    spec : NetworkSpec
        Their architecture (the cache key, with the optimizer).
    data : TrainingData
    settings : FitSettings
    rng : numpy.random.Generator
        Drives the validation split and shuffling.
    owner : str
        Estimator name for messages.
    """
    train_idx, val_idx = _split(len(data.lengths), settings.validation_fraction, rng)
    arch = architecture(spec)
    trainer = _trainer(arch, settings.optimizer)
    with arch.lock:
        trainer.start(networks.model, settings)
        loop = _EpochLoop(trainer, data, settings, rng, owner)
        history = loop.run(train_idx, val_idx)
        trainer.finish(networks.model, loop.best_weights)
    return history, loop.n_epochs


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


class _EpochLoop:
    """One fit's epochs: progress, history, early stopping, divergence."""

    def __init__(self, trainer, data, settings, rng, owner):
        self.trainer, self.data, self.lengths = trainer, data, data.lengths
        self.settings, self.rng, self.owner = settings, rng, owner
        self.loss_weights = tf.constant(settings.loss_weights, tf.float32)
        self.best_weights = None
        self.n_epochs = 0
        model = trainer.networks.model
        self.callbacks = keras.callbacks.CallbackList(
            list(settings.callbacks), model=model, epochs=settings.epochs
        )

    def run(self, train_idx, val_idx):
        s = self.settings
        history = {}
        best, waited = np.inf, 0
        monitor = "val_loss" if val_idx is not None else "loss"
        self.callbacks.on_train_begin()
        for epoch in range(s.epochs):
            logs = self._epoch(epoch, train_idx, val_idx)
            self.n_epochs = epoch + 1
            for key, value in logs.items():
                history.setdefault(key, []).append(value)
            self.callbacks.on_epoch_end(epoch, logs)
            if s.patience is not None:
                if logs[monitor] < best:
                    best, waited = logs[monitor], 0
                    self.best_weights = self.trainer.weights()
                else:
                    waited += 1
            if self.trainer.networks.model.stop_training or (
                s.patience is not None and waited >= s.patience
            ):
                break
        self.callbacks.on_train_end()
        return history

    def _epoch(self, epoch, train_idx, val_idx):
        s = self.settings
        groups = batches(self.lengths[train_idx], s.batch_size, self.rng, s.shuffle)
        progress = None
        if s.verbose:
            print(f"Epoch {epoch + 1}/{s.epochs}")
            progress = keras.utils.Progbar(len(groups), verbose=s.verbose)
        self.callbacks.on_epoch_begin(epoch)
        sums, count = None, 0
        for step, group in enumerate(groups):
            idx = train_idx[group]
            losses = self._step(idx, training=True)
            self._check_finite(epoch, losses[0])
            sums = losses * len(idx) if sums is None else sums + losses * len(idx)
            count += len(idx)
            if progress is not None:
                progress.update(step + 1, [("loss", losses[0])], finalize=False)
        logs = self._logs(sums / count, "")
        if val_idx is not None:
            logs.update(self._logs(self._evaluate(val_idx), "val_"))
        if progress is not None:
            progress.update(len(groups), list(logs.items()), finalize=True)
        return logs

    def _step(self, idx, training):
        inputs, targets, lengths = self.data.take(idx)
        fn = self.trainer.train_step if training else self.trainer.eval_step
        return (
            fn(inputs, targets, lengths, self.loss_weights).numpy().astype(np.float64)
        )

    def _evaluate(self, idx):
        groups = batches(
            self.lengths[idx], max(self.settings.batch_size, 256), None, False
        )
        total = sum(self._step(idx[g], training=False) * len(g) for g in groups)
        return total / len(idx)

    def _logs(self, losses, prefix):
        logs = {f"{prefix}loss": float(losses[0])}
        if len(losses) > 2:
            for name, value in zip(self.trainer.spec.output_names, losses[1:]):
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


def _trainer(arch, optimizer):
    key = _optimizer_key(optimizer)
    with arch.lock:
        if key not in arch.trainers:
            arch.trainers[key] = _Trainer(arch, optimizer)
        return arch.trainers[key]


def _optimizer_key(optimizer):
    if isinstance(optimizer, str):
        return optimizer
    config = optimizer.get_config()
    return (type(optimizer).__name__, repr(sorted(config.items())))


def make_optimizer(optimizer):
    """A fresh Keras optimizer from a name or by copying an instance."""
    if isinstance(optimizer, str):
        return keras.optimizers.get(optimizer)
    return type(optimizer).from_config(optimizer.get_config())


class _Trainer:
    """An optimizer and traced train/eval steps on an architecture's template."""

    def __init__(self, arch, optimizer):
        spec = self.spec = arch.spec
        self.networks = arch.networks
        model = self.networks.model
        self.optimizer = make_optimizer(optimizer)
        self.optimizer.build(model.trainable_variables)
        self._optimizer_init = [v.numpy() for v in self.optimizer.variables]
        self._sets_learning_rate = isinstance(optimizer, str)
        F = spec.n_features
        target_specs = tuple(
            tf.TensorSpec((None, spec.n_future if name == "future" else None, F))
            for name in spec.output_names
        )
        signature = [
            tf.TensorSpec((None, None, F), tf.float32),
            target_specs,
            tuple(tf.TensorSpec((None,), tf.int32) for _ in target_specs),
            tf.TensorSpec((len(target_specs),), tf.float32),
        ]
        self.train_step = traced_once(self._train_step, signature)
        self.eval_step = traced_once(self._eval_step, signature)

    def start(self, model, settings):
        """Load ``model``'s initial weights and a fresh optimizer state."""
        for target, source in zip(self.networks.model.variables, model.variables):
            target.assign(source)
        for variable, value in zip(self.optimizer.variables, self._optimizer_init):
            variable.assign(value)
        if self._sets_learning_rate:
            self.optimizer.learning_rate.assign(settings.learning_rate)
        self.networks.model.stop_training = False

    def weights(self):
        return [v.numpy() for v in self.networks.model.variables]

    def finish(self, model, best_weights):
        values = best_weights if best_weights is not None else self.weights()
        for variable, value in zip(model.variables, values):
            variable.assign(value)

    def _losses(self, inputs, targets, lengths, loss_weights, training):
        outputs = self.networks.model(inputs, training=training)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        inverse_scale = 1.0 / self.networks.input_layer.scale
        per_output = [
            _masked_mse(out, target, n, inverse_scale)
            for out, target, n in zip(outputs, targets, lengths)
        ]
        weights = tf.unstack(loss_weights)
        total = tf.add_n([w * loss for w, loss in zip(weights, per_output)])
        return tf.reduce_mean(total), per_output

    def _train_step(self, inputs, targets, lengths, loss_weights):
        model = self.networks.model
        with tf.GradientTape() as tape:
            loss, per_output = self._losses(
                inputs, targets, lengths, loss_weights, True
            )
        grads = tape.gradient(loss, model.trainable_variables)
        self.optimizer.apply(grads, model.trainable_variables)
        return tf.stack([loss] + [tf.reduce_mean(p) for p in per_output])

    def _eval_step(self, inputs, targets, lengths, loss_weights):
        loss, per_output = self._losses(inputs, targets, lengths, loss_weights, False)
        return tf.stack([loss] + [tf.reduce_mean(p) for p in per_output])


def _masked_mse(outputs, targets, lengths, inverse_scale):
    """Per-sequence mean squared error over real steps, in standardized units."""
    steps = tf.shape(targets)[1]
    outputs = outputs[:, :steps]
    mask = tf.sequence_mask(lengths, steps, dtype=outputs.dtype)
    err = tf.reduce_mean(tf.square((outputs - targets) * inverse_scale), axis=-1)
    return tf.reduce_sum(err * mask, axis=1) / tf.cast(lengths, outputs.dtype)
