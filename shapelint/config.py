"""`[tool.shapelint]` in the nearest pyproject.toml, read with tomllib."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from typing import Dict, List, Optional


class ConfigError(Exception):
    """A configuration the user must fix; reported as a usage error (exit 2)."""


@dataclass
class Config:
    path: Optional[str] = None
    input_shapes: Dict[str, list] = field(default_factory=dict)
    trace: bool = False
    init_args: Dict[str, dict] = field(default_factory=dict)


def find_pyproject(start: str) -> Optional[str]:
    d = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        candidate = os.path.join(d, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def load_config(path: Optional[str]) -> Config:
    if path is None:
        return Config()
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}") from None
    table = data.get("tool", {}).get("shapelint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.shapelint] must be a table")
    cfg = Config(path=path)
    shapes = table.get("input-shapes", {})
    if not isinstance(shapes, dict):
        raise ConfigError(f"{path}: [tool.shapelint.input-shapes] must be a table of NAME = [dims]")
    for name, dims in shapes.items():
        if not isinstance(dims, list) or not dims or not all(
            (isinstance(d, int) and not isinstance(d, bool)) or isinstance(d, str) for d in dims
        ):
            raise ConfigError(
                f"{path}: input-shapes.{name} must be a list of sizes such as [4, 3, 32, 32] (strings for symbols)"
            )
        cfg.input_shapes[name] = dims
    trace = table.get("trace", False)
    if not isinstance(trace, bool):
        raise ConfigError(f"{path}: [tool.shapelint] trace must be true or false")
    cfg.trace = trace
    init_args = table.get("init-args", {})
    if not isinstance(init_args, dict) or not all(isinstance(v, dict) for v in init_args.values()):
        raise ConfigError(f"{path}: [tool.shapelint.init-args] must be a table of NAME = {{ arg = value, ... }}")
    cfg.init_args = dict(init_args)
    return cfg
