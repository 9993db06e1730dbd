"""Warnings about declared targets (issue 16.3): a key that names no model, a bare key shared by files.

The keys come from `--input-shape` and `--init-args`, and from `[tool.shapelint.input-shapes]` and
`[tool.shapelint.init-args]` of each pyproject.toml that applied to a checked file. A key names a
model by its bare name (`Net`), scoped to a file (`models/net.py::Net`), or with a forward input
(`--input-shape Net.targets=...`, whose target is `Net`). One that matches no model is a typo more
often than not: the warning names the nearest model (difflib).

The command line speaks of this run's files, so its keys are judged against them. A pyproject.toml
speaks of its whole tree, and pre-commit checks only the changed files, so its keys are judged only
where the run can tell: a scoped key whose file was checked, or any key when the run was given the
configuration's own directory (or a folder above it).
"""

from __future__ import annotations

import os
from typing import Dict, Iterable, List, Sequence

from ..core.inputs import COMMAND_LINE, SCOPE, bare_name, in_scope

INPUT_SHAPES = "[tool.shapelint.input-shapes]"
INIT_ARGS = "[tool.shapelint.init-args]"


def declared_target_warnings(settings, paths: Sequence[str], outcomes) -> List[str]:
    """Every warning about declared targets, as the sentences the CLI prints."""
    models = _models_by_path(outcomes)
    out = []
    for key in settings.input_shapes:
        out += _unmatched(f"--input-shape {key}", key, models, certain=True)
    for key in settings.init_args:
        out += _unmatched(f"--init-args {key}", key, models, certain=True)
    for config, governed in _configs(settings, outcomes):
        mine = {p: models[p] for p in governed if p in models}
        covered = _covers(paths, config.root)
        where = f" ({_display_path(os.path.relpath(config.path))})"
        for table, keys in ((INPUT_SHAPES, config.input_shapes), (INIT_ARGS, config.init_args)):
            for key in keys:
                out += _unmatched(f"{table} key {key}{where}", key, mine, certain=covered)
    return out + shared_bare_key_warnings(outcomes)


def _models_by_path(outcomes) -> Dict[str, set]:
    """path -> the names of its models (those checked, and classes that could not be built)."""
    out: Dict[str, set] = {}
    for o in outcomes:
        if o.result.path:
            names = out.setdefault(o.result.path, set())
            names.update(name for name, _origin, _key in o.result.declared)
            names.update(name for name, _why in o.result.skipped)
    return out


def _unmatched(label: str, key: str, models: Dict[str, set], certain: bool) -> List[str]:
    """The warning for a key that names no model of `models` (path -> names); none when it matches,
    or when the files that could hold its model were not all checked and `certain` is false."""
    scope, scoped, _name = key.rpartition(SCOPE)
    name = bare_name(key).partition(".")[0]
    files = [p for p in models if in_scope(p, scope)] if scoped else list(models)
    if any(name in models[p] for p in files):
        return []
    if scoped and not files:
        if not certain:
            return []
        return [f"{label}: no checked file's path ends with {scope}"]
    if not (certain or scoped):
        return []
    import difflib  # only for a key that matches nothing: a plain run never loads it

    names = sorted({n for p in files for n in models[p]})
    near = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean {near[0]}?" if near else ""
    place = ", ".join(_display_path(p) for p in files[:3]) if scoped else "the checked files"
    return [f"{label}: no model of that name in {place}{hint}"]


def _configs(settings, outcomes) -> Iterable[tuple]:
    """(Config, [paths it applied to]) for each pyproject.toml of the checked files."""
    by_path: Dict[str, tuple] = {}
    for o in outcomes:
        path = o.result.path
        if not path or o.error:
            continue
        try:
            config = settings.config_for(path)
        except Exception:  # a configuration error was reported with the file itself
            continue
        if config.path:
            by_path.setdefault(config.path, (config, []))[1].append(path)
    return by_path.values()


def _covers(paths: Sequence[str], root: str) -> bool:
    """Whether one of the paths given is the directory `root` or a folder above it."""
    for p in paths:
        if p == "-" or not os.path.isdir(p):
            continue
        given = os.path.abspath(p)
        if root == given or root.startswith(given.rstrip(os.sep) + os.sep):
            return True
    return False


def shared_bare_key_warnings(outcomes) -> List[str]:
    """A bare key (`Net`, not `a/net.py::Net`) that declared the input of models in several files
    gives them all one shape, which is seldom meant: name the files and the scoped keys."""
    files: Dict[tuple, List[str]] = {}
    for o in outcomes:
        for name, origin, key in o.result.declared:
            if key is not None and SCOPE not in key and o.result.path:
                where = files.setdefault((origin, key), [])
                if o.result.path not in where:
                    where.append(o.result.path)
    out = []
    for (origin, key), paths in files.items():
        if len(paths) < 2:
            continue
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        scoped = " or ".join(f'"{_display_path(p)}{SCOPE}{key}"' for p in paths[:2])
        source = "--input-shape" if origin == COMMAND_LINE else f"{INPUT_SHAPES} key"
        out.append(f"{source} {key} declares the input of models in {len(paths)} files ({shown}): "
                   f"each gets the same shape; to declare one file's model, name it with its path, such as {scoped}")
    return out


def _display_path(path: str) -> str:
    path = path.replace("\\", "/")
    return path[2:] if path.startswith("./") else path
