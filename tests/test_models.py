"""The builders' one list of layer names, against the networks they build."""

import itertools

import pytest

from skseqae._models import NetworkSpec, build_networks, layer_kinds

SPECS = [
    NetworkSpec(
        2,
        units,
        "tanh",
        0.0,
        n_future=future,
        reverse=reverse,
        conditional=conditional,
        pool=pool,
        bidirectional=bidirectional,
    )
    for units, bidirectional, pool, future, reverse, conditional in itertools.product(
        [(3,), (3, 2)], [False, True], [1, 2], [0, 2], [False, True], [False, True]
    )
    if not (reverse and not future)  # reverse is the composite's option
]


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_layer_kinds_name_every_layer_of_the_built_autoencoder(spec):
    model = build_networks(spec, 0, 10).model
    kinds = layer_kinds(spec)
    assert {layer.name for layer in model.layers} == set(kinds)
    for layer in model.layers:
        weighted = kinds[layer.name] in ("lstm", "dense", "rnn")
        assert weighted == bool(layer.trainable_weights) or kinds[layer.name] in (
            "standardize",
            "unstandardize",
        )
