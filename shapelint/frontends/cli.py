"""The command line: `shapelint [OPTIONS] PATH...` (see CONTRACT.md), `shapelint rule CODE` and `shapelint graph FILE`.

Exit status: 0 no errors, 1 errors reported (or, with --diff, a diff to show),
2 usage error or internal failure.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Tuple

import click

from . import report
from .target_warnings import declared_target_warnings
from ..core.cache import Cache, config_key, open_cache
from ..core.config import ConfigError, Selection, check_selectors, split_codes
from ..core.discovery import iter_python_files
from ..core.findings import Finding
from ..core.inputs import FIRST, merge, parse_spec
from ..core.results import FileResult
from ..engine.check import Settings, lint_source

PARALLEL_MIN_FILES = 8


def parse_input_shapes(values) -> Dict[str, tuple]:
    """`TARGET=D0,D1,...[:dtype]` (the first input) and `TARGET.PARAM=...` (a forward input by
    name), repeatable: target -> its declaration (core.inputs), inputs merged by name."""
    out: Dict[str, tuple] = {}
    for v in values:
        target, sep, dims = v.partition("=")
        scope, scoped, target = target.strip().rpartition("::")  # `models/net.py::Net=...`
        target, _dot, param = target.partition(".")
        spec = parse_spec(dims) if sep and dims else None
        if not target or spec is None or (_dot and not param.isidentifier()):
            raise click.UsageError(
                f"--input-shape expects TARGET=D0,D1,... or TARGET.PARAM=D0,D1,...[:long] such as Net=1,3,32,32; got {v!r}")
        if scoped:
            target = f"{scope}::{target}"
        out[target] = merge(out.get(target), ((param or FIRST, spec),))
    return out


@dataclass
class Options:
    """Everything a worker needs to check one file (picklable): the seam's settings, and --fix/--diff."""

    settings: Settings = field(default_factory=Settings)
    fix: bool = False
    diff: bool = False
    cache: Optional["Cache"] = None  # core.cache: None when off


# ---------------------------------------------------------------------------- one file


@dataclass
class FileOutcome:
    result: FileResult
    fixed: int = 0
    fixed_text: Optional[str] = None  # the fixed source (stdin or --diff)
    diff: str = ""
    error: Optional[str] = None  # a fix that could not be written, said as a sentence


def _unreadable(path: str, detail: str) -> FileResult:
    from ..core import rules as R

    res = FileResult(path)
    f = R.UnreadableFile.finding(None, detail=detail)
    f.path = path
    f.resolve(lambda n: None)
    res.findings.append(f)
    return res


def check_file(task: Tuple[str, Optional[bytes]], opts: Options) -> FileOutcome:
    """Check (and with --fix/--diff, fix) one file; data is given for standard input."""
    path, data = task
    read_stat = None
    if data is None:
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or device would block or never end
                raise OSError(0, "not a regular file")
            with open(path, "rb") as fh:
                data = fh.read()
                read_stat = os.fstat(fh.fileno())  # --fix refuses to write if it changes
        except OSError as e:
            return FileOutcome(_unreadable(path, e.strerror or str(e)))
    cache = opts.cache if (opts.cache is not None and task[1] is None and not (opts.fix or opts.diff)) else None
    try:
        key = config_key(opts.settings.config_for(path)) if cache is not None else ""
        hit = cache.get(path, data, key) if cache is not None else None
        if hit is not None:
            return FileOutcome(_with_source(hit, data))
        outcome = FileOutcome(lint_source(path, data, opts.settings))
        if cache is not None:
            cache.put(path, data, key, outcome.result)
        result = outcome.result
        if (opts.fix or opts.diff) and result.source is not None and any(f.edits for f in result.findings):
            _fix(outcome, path, data, opts, stdin=(task[1] is not None), read_stat=read_stat)
    except Exception as e:  # a bug in shapelint: say so, keep checking other files
        res = FileResult(path)
        res.internal_error = f"{type(e).__name__}: {e}"
        return FileOutcome(res)
    outcome.result.detach()
    return outcome


def _with_source(result: FileResult, data: bytes) -> FileResult:
    """A cached result with its source again (the full format shows the lines)."""
    from ..core.notebook import Notebook, NotebookError, is_notebook
    from ..core.source import SourceError, decode_source

    try:
        if is_notebook(result.path):
            result.notebook = Notebook.parse(data)
            result.notebook.raw = None
        else:
            result.source = decode_source(data)
    except (SourceError, NotebookError):
        pass
    return result


def _fix(outcome: FileOutcome, path: str, data: bytes, opts: Options, stdin: bool,
         read_stat: Optional[os.stat_result] = None) -> None:
    from . import fix as fixmod

    quiet = replace(opts.settings, explain=False, show_unknown=False, trace=False)  # findings are all a fix needs

    def check(text: str) -> List[Finding]:
        return lint_source(path, text, quiet).findings

    if outcome.result.notebook is not None:
        return _fix_notebook(outcome, path, data, opts, stdin, read_stat, quiet)
    original = outcome.result.source
    done = fixmod.fix_text(original, check, outcome.result.findings)
    if not done.changed(original):
        return
    if opts.diff:
        outcome.diff = fixmod.unified_diff(path, original, done.text)
        return
    if stdin:
        outcome.fixed_text = done.text
    else:
        try:
            fixmod.write_atomic(path, data, fixmod.encode_like(data, done.text), read_stat)
        except fixmod.FixError as e:
            outcome.error = str(e)
            return
    outcome.fixed = len(done.fixed)
    outcome.result = lint_source(path, done.text, opts.settings)


def _fix_notebook(outcome: FileOutcome, path: str, data: bytes, opts: Options, stdin: bool,
                  read_stat: Optional[os.stat_result], quiet: Settings) -> None:
    """--fix on a notebook: the fixed cells' `source` values replace theirs, every other byte kept."""
    from . import fix as fixmod

    nb = outcome.result.notebook
    fixed_nb, fixed = fixmod.fix_notebook(nb, path, lambda n: lint_source(path, n, quiet).findings, outcome.result.findings)
    if fixed_nb is None:
        return
    new_text = fixed_nb.rewrite()
    if opts.diff:
        outcome.diff = fixmod.unified_diff(path, nb.raw, new_text)
        return
    new_data = new_text.encode("utf-8")
    if data.startswith(b"\xef\xbb\xbf"):
        new_data = b"\xef\xbb\xbf" + new_data
    if stdin:
        outcome.fixed_text = new_text
    else:
        try:
            fixmod.write_atomic(path, data, new_data, read_stat, notebook=True)
        except fixmod.FixError as e:
            outcome.error = str(e)
            return
    outcome.fixed = len(fixed)
    outcome.result = lint_source(path, new_data, opts.settings)


def _check_one(args):
    return check_file(*args)


def check_all(tasks: List[Tuple[str, Optional[bytes]]], opts: Options, jobs: int) -> List[FileOutcome]:
    """Results in the order of tasks; in parallel across processes when it pays."""
    if jobs <= 0:
        jobs = os.cpu_count() or 1
    if jobs == 1 or len(tasks) <= PARALLEL_MIN_FILES:
        return [check_file(t, opts) for t in tasks]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    workers = min(jobs, len(tasks))
    chunk = max(1, min(64, len(tasks) // (workers * 8)))
    try:
        ctx = multiprocessing.get_context("fork")  # workers start with everything imported
    except ValueError:
        ctx = None
    from concurrent.futures.process import BrokenProcessPool

    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            return list(pool.map(_check_one, [(t, opts) for t in tasks], chunksize=chunk))
    except (BrokenProcessPool, OSError) as e:  # a worker died (out of memory?) or none could start
        click.echo(f"shapelint: warning: parallel checking failed ({type(e).__name__}); checking serially", err=True)
        return [check_file(t, opts) for t in tasks]


# ---------------------------------------------------------------------------- output


def render(fmt: str, outcomes: List[FileOutcome], findings: List[Finding], explain: bool, statistics: bool) -> str:
    results = [o.result for o in outcomes]
    if explain:
        return report.explain_json(results) if fmt == "json" else report.explain_text(results).rstrip("\n")
    if statistics:
        return report.statistics(findings)
    return report.FORMATTERS[fmt](results, findings, sum(o.fixed for o in outcomes))


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "--output-format", "fmt", type=click.Choice(report.FORMATS), default="concise", show_default=True, help="Output format (text is an alias of full).")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE instead of standard output.")
@click.option("--input-shape", "input_shapes", multiple=True, metavar="TARGET[.PARAM]=D0,D1,...[:long]", help="Input shape of a model class or variable, batch first; TARGET.PARAM= names a forward input, :long/:int/:bool its dtype (repeatable).")
@click.option("--explain", is_flag=True, help="Print each model's static shape table.")
@click.option("--show-unknown", is_flag=True, help="Also report where shapes become unknown (info).")
@click.option("--select", multiple=True, metavar="CODES", help="Rule codes or prefixes to enable (comma-separated); replaces the configured selection.")
@click.option("--extend-select", multiple=True, metavar="CODES", help="Rule codes or prefixes to enable in addition.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Rule codes or prefixes to disable.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Read [tool.shapelint] from this file, not the nearest pyproject.toml.")
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option("--fix", is_flag=True, help="Apply the fixes the engine confirms; rewrites files in place.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff and write nothing, even with --fix (exit 1 if there is one).")
@click.option("--stdin-filename", metavar="NAME", help="The name of the file read from standard input (PATH -).")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of each finding.")
@click.option("--force-exclude", is_flag=True, help="Apply `exclude` to files named on the command line too.")
@click.option("--no-cache", is_flag=True, help="Check every file, without reading or writing the cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Keep the cache here (default: .shapelint_cache in the project).")
@click.option("-j", "--jobs", type=int, default=0, help="Processes to check files with (0: one per core).")
@click.option("--list-rules", is_flag=True, help="List every rule and exit.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when errors are found.")
@click.option("--trace", is_flag=True, help="Also run each model with torch (in a child process) and report what torch says.")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True, help="--trace: where real tensors run.")
@click.option("--real", is_flag=True, help="--trace: real weights and tensors instead of the meta device.")
@click.option("--init-args", "init_args", multiple=True, metavar="TARGET=JSON", help="--trace: constructor kwargs, e.g. Net='{\"num_classes\": 10}' (repeatable).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=60.0, show_default=True, help="--trace: seconds allowed per file.")
@click.version_option(package_name="shapelint")
def lint(paths, fmt, output_file, input_shapes, explain, show_unknown, select, extend_select, ignore, config_file,
         isolated, fix, diff, stdin_filename, statistics, force_exclude, no_cache, cache_dir, jobs, list_rules, exit_zero,
         trace, device, real, init_args, timeout):
    """Find tensor-shape errors in PyTorch models without running them.

    `shapelint rule CODE` explains a rule; `shapelint graph FILE` draws each model.
    """
    if list_rules:
        click.echo(report.rule_list())
        sys.exit(0)
    if fmt == "text":
        fmt = "full"
    if not paths and stdin_filename:
        paths = ("-",)
    if not paths:
        raise click.UsageError("give at least one file or directory to check (or - with --stdin-filename)")
    if diff:
        fix = False  # as in ruff: --diff shows what --fix would write, and writes nothing
    if config_file and not os.path.isfile(config_file):
        raise click.UsageError(f"--config {config_file}: no such file")
    try:
        cli_sel = Selection(
            select=check_selectors(split_codes(select), "--select") if select else None,
            extend_select=check_selectors(split_codes(extend_select), "--extend-select"),
            ignore=check_selectors(split_codes(ignore), "--ignore"),
        )
    except ConfigError as e:
        raise click.UsageError(str(e)) from None
    cli_init = {}
    if init_args:
        from .trace.parent import parse_init_args  # never imports torch

        try:
            cli_init = parse_init_args(init_args)
        except ValueError as e:
            raise click.UsageError(str(e))
    settings = Settings(
        input_shapes=parse_input_shapes(input_shapes), selection=cli_sel, config_file=config_file, isolated=isolated,
        explain=explain, show_unknown=show_unknown, trace=trace, init_args=cli_init,
    )
    opts = Options(settings, fix=fix, diff=diff, cache=open_cache(settings, cache_dir, no_cache or fix or diff))
    try:
        tasks, missing = _tasks(list(paths), stdin_filename, settings, force_exclude)
        outcomes = check_all(tasks, opts, jobs)
    except ConfigError as e:
        click.echo(f"shapelint: error: {e}", err=True)
        sys.exit(2)
    for warning in declared_target_warnings(settings, list(paths), outcomes):
        click.echo(f"shapelint: warning: {warning}", err=True)
    traced = [o.result for o in outcomes if o.result.trace]
    ignored = [o.result.path for o in outcomes if o.result.trace_ignored]
    if ignored:
        click.echo(f"shapelint: note: `trace = true` in the configuration of {ignored[0]} was not honoured: tracing "
                   "imports and runs the checked code, so it needs --trace (or that file named with --config)", err=True)
    if traced:
        _run_trace(traced, settings, device, real, timeout)
    sys.exit(_report(outcomes, missing, fmt, output_file, explain, statistics, fix and paths == ("-",), diff, exit_zero))


def _report(outcomes: List[FileOutcome], missing: List[str], fmt: str, output_file, explain: bool, statistics: bool,
            fix_stdin: bool, diff: bool, exit_zero: bool) -> int:
    """Write the report; the exit status (CONTRACT.md: 0 no errors, 1 errors, 2 usage or internal failure)."""
    findings = [f for o in outcomes for f in o.result.findings]
    if fix_stdin:
        # as ruff does: the fixed source goes to stdout, the report to stderr
        stdin_fixed = [o.fixed_text for o in outcomes if o.fixed_text is not None]
        src = stdin_fixed[0] if stdin_fixed else (outcomes[0].result.source if outcomes and outcomes[0].result.source is not None else "")
        sys.stdout.write(src)
        text = render(fmt, outcomes, findings, explain, statistics)
        if text:
            click.echo(text, err=True)
    elif diff:
        text = "".join(o.diff for o in outcomes)
        _emit(text, output_file, newline=False)
        n = sum(1 for o in outcomes if o.diff)
        click.echo(f"Would fix {n} file{'s' if n != 1 else ''}." if n else "No fixes available.", err=True)
    else:
        _emit(render(fmt, outcomes, findings, explain, statistics), output_file)
    status = 0
    for p in missing:
        click.echo(f"shapelint: error: {p}: no such file or directory", err=True)
        status = 2
    for o in outcomes:
        if o.result.internal_error:
            click.echo(f"shapelint: internal error while checking {o.result.path}: {o.result.internal_error} (please report this)", err=True)
            status = 2
        if o.error:
            click.echo(f"shapelint: error: {o.error}", err=True)
            status = 2
    if status == 0 and not exit_zero:
        if diff and any(o.diff for o in outcomes):
            status = 1
        elif any(f.severity == "error" for f in findings):
            status = 1
    return status


def _run_trace(results: List[FileResult], settings: Settings, device, real, timeout) -> None:
    from .trace import parent as T  # never imports torch itself; its child process does

    try:
        T.confirm(results, settings, T.TraceOptions(device=device, real=real, timeout=timeout))
    except T.TraceUnavailable as e:
        click.echo(f"shapelint: error: {e}", err=True)
        sys.exit(2)


def _emit(text: str, output_file: Optional[str], newline: bool = True) -> None:
    if newline and text and not text.endswith("\n"):
        text += "\n"
    if output_file:
        try:
            with open(output_file, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        except OSError as e:
            click.echo(f"shapelint: error: cannot write {output_file}: {e.strerror}", err=True)
            sys.exit(2)
    elif text:
        click.echo(text, nl=False)


def _tasks(paths: List[str], stdin_filename: Optional[str], settings: Settings, force_exclude: bool):
    tasks: List[Tuple[str, Optional[bytes]]] = []
    if "-" in paths:
        if len(paths) > 1:
            raise click.UsageError("- (standard input) cannot be combined with other paths")
        name = stdin_filename or "-"
        data = sys.stdin.buffer.read()
        if force_exclude and stdin_filename and settings.config_for(name).is_excluded(name):
            return [], []
        return [(name, data)], []

    def excluded(p: str) -> bool:
        return settings.config_for(p).is_excluded(p)

    files, missing = iter_python_files(paths, excluded, force_exclude)
    for f in files:
        settings.config_for(f)  # configuration errors surface here, before any work
    tasks = [(f, None) for f in files]
    return tasks, missing


# ---------------------------------------------------------------------------- shapelint rule


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Explain every rule.")
def rule_command(code, show_all):
    """Explain a rule: what it checks, why it matters, an example, the fix."""
    from ..core.rules import REGISTRY, all_rules

    if show_all:
        click.echo("\n".join(report.rule_doc(r) for r in all_rules()), nl=False)
        sys.exit(0)
    if not code:
        raise click.UsageError("give a rule code, such as `shapelint rule SHP001` (or --all); `shapelint --list-rules` lists them")
    r = REGISTRY.get(code.strip().upper())
    if r is None:
        by_name = {x.name: x for x in all_rules()}
        r = by_name.get(code.strip().lower())
    if r is None:
        click.echo(f"shapelint: error: unknown rule {code!r}; `shapelint --list-rules` lists them", err=True)
        sys.exit(2)
    click.echo(report.rule_doc(r), nl=False)
    sys.exit(0)


def _graph_command():
    from .graph import graph_command  # frontends/graph.py: imported when asked for (cold start)

    return graph_command


SUBCOMMANDS = {"rule": lambda: rule_command, "graph": _graph_command}


def main(argv: Optional[List[str]] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["lsp"] and not os.path.exists("lsp"):  # the editor server; needs the `lsp` extra
        from .lsp.server import main as lsp_main

        sys.exit(lsp_main(argv[1:]))
    try:
        if argv and argv[0] in SUBCOMMANDS and not os.path.exists(argv[0]):
            SUBCOMMANDS[argv[0]]().main(args=argv[1:], prog_name=f"shapelint {argv[0]}", standalone_mode=True)
        else:
            lint.main(args=argv, prog_name="shapelint", standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(2)
