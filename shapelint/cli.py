"""The command line: `shapelint [OPTIONS] PATH...` (see CONTRACT.md).

Exit status: 0 no errors, 1 errors reported, 2 usage error or internal failure.
"""

from __future__ import annotations

import os
import stat
import sys
from typing import Dict, List, Optional, Tuple

import click

from . import report
from .analysis import FileResult, check_source, parse_dims
from .config import Config, ConfigError, find_pyproject, load_config

SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", ".nox", "node_modules", ".mypy_cache", ".pytest_cache", "build", "dist"}


def iter_python_files(paths: List[str]) -> Tuple[List[str], List[str]]:
    """Files to check, in a stable order, and the paths that do not exist."""
    files, missing = [], []
    for p in paths:
        if os.path.isdir(p):
            found = []
            for root, dirs, names in os.walk(p):  # followlinks=False: no symlink loops
                dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
                found.extend(os.path.join(root, n) for n in names if n.endswith((".py", ".pyi")))
            files.extend(sorted(found))
        elif os.path.exists(p) or os.path.islink(p):
            files.append(p)
        else:
            missing.append(p)
    return files, missing


def parse_input_shapes(values) -> Dict[str, list]:
    out: Dict[str, list] = {}
    for v in values:
        target, sep, dims = v.partition("=")
        parsed = parse_dims(dims.split(",")) if sep and dims else None
        if not target.strip() or not parsed:
            raise click.UsageError(f"--input-shape expects TARGET=D0,D1,... such as Net=1,3,32,32; got {v!r}")
        out[target.strip()] = parsed
    return out


def check_path(path: str, cli_shapes: Dict[str, list], configs: Dict[str, Config], explain: bool) -> FileResult:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or device would block or never end
            raise OSError(0, "not a regular file")
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        from . import rules as R

        res = FileResult(path)
        f = R.UnreadableFile.finding(None, detail=e.strerror or str(e))
        f.path = path
        f.resolve(lambda n: None)
        res.findings.append(f)
        return res
    pyproject = find_pyproject(path)
    if pyproject not in configs:
        configs[pyproject] = load_config(pyproject)
    try:
        return check_source(path, data, cli_shapes, explain=explain, config_shapes=configs[pyproject].input_shapes)
    except Exception as e:  # a bug in shapelint: say so, keep checking other files
        res = FileResult(path)
        res.internal_error = f"{type(e).__name__}: {e}"
        return res


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "--output-format", "fmt", type=click.Choice(["text", "concise", "json"]), default="text", show_default=True, help="Output format.")
@click.option("--input-shape", "input_shapes", multiple=True, metavar="TARGET=D0,D1,...", help="Input shape of a model class or variable, batch first (repeatable).")
@click.option("--explain", is_flag=True, help="Print each model's static shape table.")
@click.option("--show-unknown", is_flag=True, help="Also report where shapes become unknown (info).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when errors are found.")
@click.option("--trace", is_flag=True, help="Also run each model with torch (in a child process) and report what torch says.")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True, help="--trace: where real tensors run.")
@click.option("--real", is_flag=True, help="--trace: real weights and tensors instead of the meta device.")
@click.option("--init-args", "init_args", multiple=True, metavar="TARGET=JSON", help="--trace: constructor kwargs, e.g. Net='{\"num_classes\": 10}' (repeatable).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True, help="--trace: seconds allowed per file.")
@click.version_option(package_name="shapelint")
def lint(paths, fmt, input_shapes, explain, show_unknown, exit_zero, trace, device, real, init_args, timeout):
    """Find tensor-shape errors in PyTorch models without running them."""
    if not paths:
        raise click.UsageError("give at least one file or directory to check")
    cli_shapes = parse_input_shapes(input_shapes)
    files, missing = iter_python_files(list(paths))
    configs: Dict[str, Config] = {}
    results: List[FileResult] = []
    try:
        for path in files:
            results.append(check_path(path, cli_shapes, configs, explain or show_unknown or trace))
    except ConfigError as e:
        click.echo(f"shapelint: error: {e}", err=True)
        sys.exit(2)
    if trace or any(c.trace for c in configs.values()):
        _run_trace(results, cli_shapes, configs, trace, device, real, init_args, timeout)
    if show_unknown:
        _add_unknown_notes(results)
    findings = [f for r in results for f in r.findings]
    if explain:
        click.echo(report.explain_json(results) if fmt == "json" else report.explain_text(results), nl=False)
    elif fmt == "json":
        click.echo(report.json_findings(findings))
    else:
        text = report.text_findings(results, show_source=(fmt == "text"))
        if text:
            click.echo(text)
        click.echo(report.summary(findings))
    status = 0
    for p in missing:
        click.echo(f"shapelint: error: {p}: no such file or directory", err=True)
        status = 2
    for r in results:
        if r.internal_error:
            click.echo(f"shapelint: internal error while checking {r.path}: {r.internal_error} (please report this)", err=True)
            status = 2
    if status == 0 and not exit_zero and any(f.severity == "error" for f in findings):
        status = 1
    sys.exit(status)


def _run_trace(results, cli_shapes, configs, trace_flag, device, real, init_args, timeout) -> None:
    from . import trace as T  # never imports torch itself; its child process does

    try:
        cli_init = T.parse_init_args(init_args)
    except ValueError as e:
        raise click.UsageError(str(e))
    shapes, inits, chosen = {}, {}, []
    for r in results:
        cfg = configs.get(find_pyproject(r.path)) or Config()
        if not (trace_flag or cfg.trace):
            continue
        chosen.append(r)
        shapes[r.path] = {**cfg.input_shapes, **cli_shapes}
        inits[r.path] = {**cfg.init_args, **cli_init}
    try:
        T.confirm(chosen, shapes, inits, T.TraceOptions(device=device, real=real, timeout=timeout))
    except T.TraceUnavailable as e:
        click.echo(f"shapelint: error: {e}", err=True)
        sys.exit(2)


def _add_unknown_notes(results: List[FileResult]) -> None:
    from . import rules as R

    for r in results:
        for m in r.models:
            for line, why in m.lost[:1]:  # once per model: where coverage ends
                f = R.TrackingLost.finding(None, reason=f"{m.name}: {why}")
                f.path = r.path
                f.resolve(lambda n: None)
                f.line = f.end_line = max(line, 1)
                r.findings.append(f)


def main(argv: Optional[List[str]] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["lsp"]:  # the editor server (shapelint/lsp.py); needs the `lsp` extra
        from .lsp import main as lsp_main

        sys.exit(lsp_main(argv[1:]))
    try:
        lint.main(args=argv, prog_name="shapelint", standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(2)
