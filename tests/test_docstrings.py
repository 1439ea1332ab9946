"""The autoencoders' docstrings: every parameter documented once, alike in both."""

import ast
import inspect
import re

import pytest

from skseqae import CompositeLSTMAutoencoder, LSTMAutoencoderTransformer
from skseqae._docstrings import PARAMETERS


def sections(cls):
    """``{name: entry text}`` of the class's Parameters section."""
    doc = inspect.cleandoc(cls.__doc__)
    body = doc[doc.index("Parameters\n----------\n") : doc.index("Attributes\n")]
    entries = re.split(r"\n(?=\w+ : )", body.split("----------\n", 1)[1].strip())
    return {entry.split(" : ", 1)[0]: entry for entry in entries}


@pytest.mark.parametrize("cls", [LSTMAutoencoderTransformer, CompositeLSTMAutoencoder])
def test_every_parameter_is_documented_in_signature_order(cls):
    documented = list(sections(cls))
    assert documented == list(inspect.signature(cls.__init__).parameters)[1:]


@pytest.mark.parametrize("cls", [LSTMAutoencoderTransformer, CompositeLSTMAutoencoder])
def test_documented_defaults_are_the_signature_defaults(cls):
    signature = inspect.signature(cls.__init__)
    for name, entry in sections(cls).items():
        shown = entry.splitlines()[0].rsplit("default=", 1)[1]
        assert ast.literal_eval(shown) == signature.parameters[name].default, name


def test_shared_parameters_read_the_same_in_both():
    plain, composite = (
        sections(LSTMAutoencoderTransformer),
        sections(CompositeLSTMAutoencoder),
    )
    for name in PARAMETERS:
        # The composite may add sentences; its pretrained default is False.
        shared = plain[name]
        if name == "pretrained":
            shared = shared.replace('default="auto"', "default=False")
        assert composite[name].startswith(shared), name
