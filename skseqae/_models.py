"""Pure Keras builders: encoder, decoders and the autoencoder around them.

Everything here is a function of a hashable :class:`NetworkSpec` and a seed;
the estimators never build layers themselves. The returned Keras models
share their layers: ``encoder`` is the autoencoder's encoder half (the seed
tutorial's ``Model(inputs, layers[0].output)``), each standalone decoder
reuses the autoencoder's decoder layers.
"""

from dataclasses import dataclass

from ._backend import keras
from ._layers import (
    FastLSTM,
    FeedbackDecoderCell,
    Readout,
    RepeatSteps,
    RepeatToLength,
    ReverseEach,
    SequenceInput,
    TimePool,
    Unstandardize,
)


@dataclass(frozen=True)
class NetworkSpec:
    """Everything that fixes the architecture (and so a traced train step).

    Attributes
    ----------
    n_features : int
        Features per time step.
    units : tuple of int
        Encoder LSTM sizes, first to last; the decoders mirror them.
    activation : str
        Activation of every LSTM.
    dropout : float
        Input dropout of every LSTM while training.
    n_future : int
        0 for a reconstruction autoencoder; else the length of the second,
        future-predicting decoder's output.
    reverse : bool
        Whether the reconstruction decoder emits the sequence back to front.
    conditional : bool
        Whether each decoder step also reads the decoder's previous output.
    encoding : {"last", "mean", "max", "mean_max", "last_mean_max"}
        How the last encoder layer's hidden states become the code that the
        decoders read (and ``transform`` returns): the state at each
        sequence's last real step, the mean and/or max over its real steps,
        or all three (see :class:`Readout`).
    pool : int
        The encoder reads the standardized sequences averaged over windows
        of ``pool`` steps (:class:`TimePool`); the reconstruction decoder
        emits that many times fewer steps, each repeated ``pool`` times.
    bidirectional : bool
        Whether each encoder layer also runs a second LSTM from each
        sequence's last real step back to its first; the code then holds
        both directions' summaries.
    window_pooling : str or None
        Set only with ``pool > 1``: the statistics over windows (of the
        pooled length, read unpooled by the same encoder) that ``transform``
        joins after the code (see ``skseqae._window_codes``). They add
        features, not layers: the networks are the same.
    """

    n_features: int
    units: tuple
    activation: str
    dropout: float
    n_future: int = 0
    reverse: bool = False
    conditional: bool = False
    encoding: str = "last"
    pool: int = 1
    bidirectional: bool = False
    window_pooling: str = None

    @property
    def code_size(self):
        directions = 2 if self.bidirectional else 1
        return self.units[-1] * directions * len(self.encoding.split("_"))

    @property
    def n_features_out(self):
        """Features per sequence that ``transform`` gives: the code, then
        each window statistic's ``code_size``."""
        from ._window_codes import n_statistics

        return self.code_size * (1 + n_statistics(self.window_pooling))

    @property
    def output_names(self):
        return ("reconstruction", "future") if self.n_future else ("reconstruction",)


@dataclass(frozen=True)
class Networks:
    """The Keras models of one fitted estimator, sharing their layers."""

    model: keras.Model
    encoder: keras.Model
    decoders: dict
    input_layer: SequenceInput
    output_layers: tuple

    @property
    def scaling_layers(self):
        """The layers holding the per-feature ``mean`` and ``scale``."""
        return (self.input_layer, *self.output_layers)

    def set_scaling(self, mean, scale):
        """Store the per-feature standardization in the graph."""
        for layer in self.scaling_layers:
            layer.mean.assign(mean)
            layer.scale.assign(scale)


def build_networks(spec, seed, n_timesteps):
    """Build the autoencoder, its encoder and standalone decoders.

    Parameters
    ----------
    spec : NetworkSpec
        The architecture.
    seed : int
        Seeds every initializer and dropout layer, so that a build is
        reproducible without touching global random state.
    n_timesteps : int
        Output length of the standalone reconstruction decoder.

    Returns
    -------
    Networks
    """
    seeds = iter(range(seed, seed + 1000))
    sequences = keras.Input((None, spec.n_features), name="sequences")
    input_layer = SequenceInput(name="standardize")
    values, lengths = input_layer(sequences)
    steps, step_lengths = values, lengths
    if spec.pool > 1:
        steps, step_lengths = TimePool(spec.pool, name="pool")(values, lengths)
    code = _encode(spec, seeds, steps, step_lengths)

    rec_layers = _decoder_layers(spec, "reconstruction", seeds)
    rec = _apply(rec_layers, RepeatToLength(name="repeat")(code, steps))
    if spec.reverse:
        rec = ReverseEach(name="unreverse")(rec, step_lengths)
    if spec.pool > 1:
        rec = RepeatSteps(spec.pool, name="unpool")(rec, values)
    outputs = [rec]
    decoders = {
        "reconstruction": _standalone_decoder(
            spec, "reconstruction", rec_layers, n_timesteps
        )
    }
    output_layers = [rec_layers[-1]]
    if spec.n_future:
        fut_layers = _decoder_layers(spec, "future", seeds)
        repeat = keras.layers.RepeatVector(spec.n_future, name="repeat_future")
        outputs.append(_apply(fut_layers, repeat(code)))
        decoders["future"] = _standalone_decoder(
            spec, "future", fut_layers, spec.n_future, future=True
        )
        output_layers.append(fut_layers[-1])

    model = keras.Model(
        sequences, outputs if spec.n_future else rec, name="autoencoder"
    )
    encoder = keras.Model(sequences, code, name="encoder")
    return Networks(model, encoder, decoders, input_layer, tuple(output_layers))


def _encode(spec, seeds, x, lengths):
    """The encoder LSTMs and the readout of their states into the code.

    A backward LSTM reads each sequence reversed within its length, so its
    padding stays at the end and its state at the last real step has seen
    the whole sequence: the readout takes it in that processing order, and
    the next layer reads it turned back to natural order.
    """
    for i, n in enumerate(spec.units):
        states = [_lstm(spec, n, seeds, f"encoder_lstm_{i}")(x)]
        if spec.bidirectional:
            backward = _lstm(spec, n, seeds, f"encoder_backward_lstm_{i}")
            flip = ReverseEach(name=f"encoder_reverse_{i}")
            states.append(backward(flip(x, lengths)))
            unflip = ReverseEach(name=f"encoder_unreverse_{i}")
            x = keras.layers.Concatenate(name=f"encoder_states_{i}")(
                [states[0], unflip(states[1], lengths)]
            )
        else:
            x = states[0]
    if spec.bidirectional:
        states = keras.layers.Concatenate(name="encoder_read")(states)
    else:
        states = states[0]
    return Readout(spec.encoding, name="readout")(states, lengths)


def _lstm(spec, n_units, seeds, name, repeated_input=False):
    return FastLSTM(
        n_units,
        repeated_input=repeated_input,
        activation=spec.activation,
        return_sequences=True,
        dropout=spec.dropout,
        kernel_initializer=keras.initializers.GlorotUniform(next(seeds)),
        recurrent_initializer=keras.initializers.Orthogonal(seed=next(seeds)),
        seed=next(seeds),
        name=name,
    )


def _decoder_layers(spec, name, seeds):
    """The layers of one decoder: mirrored LSTMs, a Dense per step, unscaling."""
    if spec.conditional:
        cell = FeedbackDecoderCell(
            list(reversed(spec.units)),
            spec.n_features,
            spec.activation,
            spec.dropout,
            [next(seeds) for _ in range(3 * len(spec.units) + 1)],
            name=f"{name}_cell",
        )
        rnn = keras.layers.RNN(cell, return_sequences=True, name=f"{name}_rnn")
        return [rnn, Unstandardize(name=f"{name}_unstandardize")]
    layers = [  # the first reads the code, the same vector at every step
        _lstm(spec, n, seeds, f"{name}_lstm_{i}", repeated_input=i == 0)
        for i, n in enumerate(reversed(spec.units))
    ]
    layers.append(
        keras.layers.Dense(
            spec.n_features,
            kernel_initializer=keras.initializers.GlorotUniform(next(seeds)),
            name=f"{name}_output",
        )
    )
    layers.append(Unstandardize(name=f"{name}_unstandardize"))
    return layers


def _apply(layers, x):
    for layer in layers:
        x = layer(x)
    return x


def _standalone_decoder(spec, name, layers, n_timesteps, future=False):
    """A Keras model from feature vectors to sequences, sharing ``layers``.

    The reconstruction decoder runs at the pooled length and repeats its
    steps back to ``n_timesteps``.
    """
    code = keras.Input((spec.code_size,), name="features")
    pool = 1 if future else spec.pool
    n_steps = -(-n_timesteps // pool)
    x = keras.layers.RepeatVector(n_steps, name="repeat")(code)
    x = _apply(layers, x)
    if spec.reverse and not future:
        x = ReverseEach(name="unreverse")(x)
    if pool > 1:
        x = RepeatSteps(pool, n_timesteps, name="unpool")(x)
    return keras.Model(code, x, name=f"{name}_decoder")


def layer_kinds(spec):
    """The layers of the autoencoder ``build_networks`` makes for ``spec``.

    The one list of the network's layer names, by what each is
    (``"lstm"``, ``"dense"``, ``"rnn"``, ``"standardize"``,
    ``"unstandardize"``, ``"readout"`` or ``"other"``); the exporter, the
    pretrained weights and file checks ask here.

    Returns
    -------
    dict of str to str
    """
    kinds = {"sequences": "other", "standardize": "standardize"}
    n_layers = len(spec.units)
    for i in range(n_layers):
        kinds[f"encoder_lstm_{i}"] = "lstm"
        if spec.bidirectional:
            kinds[f"encoder_backward_lstm_{i}"] = "lstm"
            kinds[f"encoder_reverse_{i}"] = "other"
            # What the next layer reads; the last layer's is not in the model.
            if i < n_layers - 1:
                kinds[f"encoder_unreverse_{i}"] = "other"
                kinds[f"encoder_states_{i}"] = "other"
    if spec.bidirectional:
        kinds["encoder_read"] = "other"
    kinds.update(readout="readout", repeat="other")
    if spec.pool > 1:
        kinds.update(pool="other", unpool="other")
    if spec.reverse:
        kinds["unreverse"] = "other"
    if spec.n_future:
        kinds["repeat_future"] = "other"
    for decoder in spec.output_names:
        kinds.update(decoder_layer_kinds(spec, decoder))
    return kinds


def decoder_layer_kinds(spec, decoder):
    """The layers of one decoder (``"reconstruction"`` or ``"future"``)."""
    if spec.conditional:
        return {f"{decoder}_rnn": "rnn", f"{decoder}_unstandardize": "unstandardize"}
    kinds = {f"{decoder}_lstm_{i}": "lstm" for i in range(len(spec.units))}
    kinds[f"{decoder}_output"] = "dense"
    kinds[f"{decoder}_unstandardize"] = "unstandardize"
    return kinds


def layer_mismatch(*, expected, given):
    """What differs between two collections of layer names, or '' if nothing."""
    missing = sorted(set(expected) - set(given))
    extra = sorted(set(given) - set(expected))
    parts = [f"missing layer(s) {missing}"] * bool(missing)
    parts += [f"unexpected layer(s) {extra}"] * bool(extra)
    return ", ".join(parts)
