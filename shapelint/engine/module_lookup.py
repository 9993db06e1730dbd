"""Modules reached without an import statement: `importlib.import_module("torch.nn")` and
`sys.modules["torch.nn"]` are the module `import torch.nn` binds.

Only torch's own modules resolve: `import torch` loads `torch.nn` and `torch.nn.functional`,
so `sys.modules` holds them. Any other name (a relative import, `sys.modules[__name__]`, a
third-party package) is unknown, never guessed.
"""

from __future__ import annotations

from ..core.values import Ref
from .extract import canonical

IMPORTERS = ("importlib.import_module",)
SYS_MODULES = "sys.modules"
# what `sys.modules` certainly holds once the file has imported torch
LOADED_WITH_TORCH = ("torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.nn.modules", "torch.functional")


def _torch_module(name) -> bool:
    return isinstance(name, str) and (name == "torch" or name.startswith("torch.")) and all(name.split("."))


def import_module(vm, args, kwargs, node):
    """`importlib.import_module(name)`: an absolute torch module name is that module."""
    if len(args) in (1, 2) and set(kwargs) <= {"package"} and _torch_module(args[0]):
        return Ref(canonical(args[0]))  # an absolute name ignores `package`
    return vm.unmodelled("importlib.import_module of a module shapelint does not read", node)


def sys_modules_item(vm, key, node, torch_imported: bool):
    """`sys.modules[key]`: torch's modules once the file imported torch."""
    if torch_imported and key in LOADED_WITH_TORCH:
        return Ref(key)
    return vm.unmodelled("sys.modules entry", node)


def imports_torch(globals_: dict) -> bool:
    return any(isinstance(v, Ref) and _torch_module(v.qualname) for v in globals_.values())
