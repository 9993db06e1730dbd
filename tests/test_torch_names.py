"""shapelint/torch/names.py against torch itself: every name its tables say exists does."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from shapelint.torch import names


def test_every_name_the_tables_know_is_an_attribute_of_torch():
    modules = {"torch": torch, "torch.nn": nn, "torch.nn.functional": F}
    for qualname, table in names._TABLES.items():
        for name in table():
            if names.torch_has(qualname, name):
                assert hasattr(modules[qualname], name), f"{qualname}.{name}"


def test_module_attributes_are_nn_modules():
    m = nn.Module()
    for name in names.MODULE_ATTRIBUTES:
        assert hasattr(m, name), name


def test_unknown_names_are_undecided():
    assert names.torch_has("torch.nn", "NoSuchLayer") is None
    assert names.torch_has("torch", "softmin") is None
    assert names.torch_has("numpy", "zeros") is None
