"""The command line: `shapelint [OPTIONS] PATH...` (see CONTRACT.md), and `shapelint rule CODE`.

Exit status: 0 no errors, 1 errors reported (or, with --diff, a diff to show),
2 usage error or internal failure.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import click

from . import report
from .analysis import FileResult, check_source, parse_dims
from .config import Config, ConfigError, Selection, check_selectors, enabled_codes, find_pyproject, load_config, split_codes
from .discovery import iter_python_files
from .findings import Finding

PARALLEL_MIN_FILES = 8


def parse_input_shapes(values) -> Dict[str, list]:
    out: Dict[str, list] = {}
    for v in values:
        target, sep, dims = v.partition("=")
        parsed = parse_dims(dims.split(",")) if sep and dims else None
        if not target.strip() or not parsed:
            raise click.UsageError(f"--input-shape expects TARGET=D0,D1,... such as Net=1,3,32,32; got {v!r}")
        out[target.strip()] = parsed
    return out


# ---------------------------------------------------------------------------- configuration


@dataclass
class Options:
    """Everything a worker needs to check one file (picklable)."""

    cli_shapes: Dict[str, list] = field(default_factory=dict)
    cli_selection: Selection = field(default_factory=Selection)
    config_file: Optional[str] = None
    isolated: bool = False
    explain: bool = False
    show_unknown: bool = False
    fix: bool = False
    diff: bool = False
    trace: bool = False  # --trace or `trace = true`: keep explain rows for the comparison


_pyproject_by_dir: Dict[str, Optional[str]] = {}
_configs: Dict[Optional[str], Config] = {}
_enabled: Dict[Optional[str], set] = {}


def config_for(path: str, opts: Options) -> Config:
    if opts.isolated:
        key = None
    elif opts.config_file:
        key = opts.config_file
    else:
        d = os.path.dirname(os.path.abspath(path))
        if d not in _pyproject_by_dir:
            _pyproject_by_dir[d] = find_pyproject(path)
        key = _pyproject_by_dir[d]
    if key not in _configs:
        _configs[key] = load_config(key)  # raises ConfigError
    return _configs[key]


def enabled_for(cfg: Config, opts: Options) -> set:
    if cfg.path not in _enabled:
        _enabled[cfg.path] = enabled_codes([cfg.selection, opts.cli_selection])
    return _enabled[cfg.path]


# ---------------------------------------------------------------------------- one file


@dataclass
class FileOutcome:
    result: FileResult
    fixed: int = 0
    fixed_text: Optional[str] = None  # the fixed source (stdin or --diff)
    diff: str = ""
    error: Optional[str] = None  # a fix that could not be written, said as a sentence


def _unreadable(path: str, detail: str) -> FileResult:
    from . import rules as R

    res = FileResult(path)
    f = R.UnreadableFile.finding(None, detail=detail)
    f.path = path
    f.resolve(lambda n: None)
    res.findings.append(f)
    return res


def _keep(cfg: Config, opts: Options, path: str, source: Optional[str], findings: List[Finding]) -> List[Finding]:
    from .noqa import filter_findings
    from .config import code_matches

    enabled = enabled_for(cfg, opts)
    ignored = cfg.ignored_for(path) if cfg.per_file_ignores else []
    kept = [f for f in findings if f.code in enabled and not (ignored and code_matches(f.code, ignored))]
    return filter_findings(source, kept)


def _check(path: str, data, shapes, explain: bool = False) -> FileResult:
    """Input shapes: the command line beats a class-line comment, which beats pyproject.toml."""
    cli_shapes, config_shapes = shapes
    return check_source(path, data, cli_shapes, explain=explain, config_shapes=config_shapes)


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
    cfg = config_for(path, opts)
    shapes = (opts.cli_shapes, cfg.input_shapes)
    try:
        result = _check(path, data, shapes, explain=opts.explain or opts.show_unknown or opts.trace)
        if opts.show_unknown:
            _add_unknown_notes(result)
        result.findings = _keep(cfg, opts, path, result.source, result.findings)
        outcome = FileOutcome(result)
        if (opts.fix or opts.diff) and result.source is not None and any(f.edits for f in result.findings):
            _fix(outcome, path, data, shapes, cfg, opts, stdin=(task[1] is not None), read_stat=read_stat)
    except Exception as e:  # a bug in shapelint: say so, keep checking other files
        res = FileResult(path)
        res.internal_error = f"{type(e).__name__}: {e}"
        return FileOutcome(res)
    _detach(outcome.result)
    return outcome


def _fix(outcome: FileOutcome, path: str, data: bytes, shapes, cfg: Config, opts: Options, stdin: bool,
         read_stat: Optional[os.stat_result] = None) -> None:
    from . import fix as fixmod

    def check(text: str) -> List[Finding]:
        r = _check(path, text, shapes)
        return _keep(cfg, opts, path, text, r.findings)

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
    outcome.result = _check(path, done.text, shapes, explain=opts.explain or opts.show_unknown or opts.trace)
    if opts.show_unknown:
        _add_unknown_notes(outcome.result)
    outcome.result.findings = _keep(cfg, opts, path, done.text, outcome.result.findings)


def _detach(result: FileResult) -> None:
    """Drop libcst node references so a result crosses process boundaries cheaply."""
    for f in result.findings:
        f.node = None
        f.parts = ()
        for e in f.edits:
            e.node = None
    for m in result.models:
        m.node = None
        for layer in m.layers:
            layer.pop("_node", None)
            layer.pop("_call", None)


def _add_unknown_notes(r: FileResult) -> None:
    from . import rules as R

    for m in r.models:
        for line, why in m.lost[:1]:  # once per model: where coverage ends
            f = R.TrackingLost.finding(None, reason=f"{m.name}: {why}")
            f.path = r.path
            f.resolve(lambda n: None)
            f.line = f.end_line = max(line, 1)
            r.findings.append(f)


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
    if fmt == "json":
        return report.json_findings(findings)
    if fmt == "json-lines":
        return report.json_lines(findings)
    if fmt == "github":
        return report.github(findings)
    if fmt == "sarif":
        from . import __version__

        return report.sarif(findings, version=__version__)
    text = report.concise(findings) if fmt == "concise" else report.text_findings(results, show_source=True)
    fixed = sum(o.fixed for o in outcomes)
    return (text + "\n" if text else "") + report.summary(findings, fixed)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "--output-format", "fmt", type=click.Choice(report.FORMATS), default="concise", show_default=True, help="Output format (text is an alias of full).")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE instead of standard output.")
@click.option("--input-shape", "input_shapes", multiple=True, metavar="TARGET=D0,D1,...", help="Input shape of a model class or variable, batch first (repeatable).")
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
         isolated, fix, diff, stdin_filename, statistics, force_exclude, jobs, list_rules, exit_zero,
         trace, device, real, init_args, timeout):
    """Find tensor-shape errors in PyTorch models without running them.

    `shapelint rule CODE` explains a rule.
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
    opts = Options(
        cli_shapes=parse_input_shapes(input_shapes), cli_selection=cli_sel, config_file=config_file,
        isolated=isolated, explain=explain, show_unknown=show_unknown, fix=fix, diff=diff,
    )
    try:
        tasks, missing = _tasks(list(paths), stdin_filename, opts, force_exclude)
        opts.trace = trace or any(config_for(p, opts).trace for p, _data in tasks)
        outcomes = check_all(tasks, opts, jobs)
    except ConfigError as e:
        click.echo(f"shapelint: error: {e}", err=True)
        sys.exit(2)
    if opts.trace:
        _run_trace([o.result for o in outcomes], opts, trace, device, real, init_args, timeout)
    findings = [f for o in outcomes for f in o.result.findings]
    stdin_fixed = [o.fixed_text for o in outcomes if o.fixed_text is not None]
    if fix and paths == ("-",):
        # as ruff does: the fixed source goes to stdout, the report to stderr
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
    sys.exit(status)


def _run_trace(results, opts: Options, trace_flag, device, real, init_args, timeout) -> None:
    from . import trace as T  # never imports torch itself; its child process does

    try:
        cli_init = T.parse_init_args(init_args)
    except ValueError as e:
        raise click.UsageError(str(e))
    shapes, inits, chosen = {}, {}, []
    for r in results:
        cfg = config_for(r.path, opts)
        if not (trace_flag or cfg.trace):
            continue
        chosen.append(r)
        shapes[r.path] = {**cfg.input_shapes, **opts.cli_shapes}
        inits[r.path] = {**cfg.init_args, **cli_init}
    try:
        T.confirm(chosen, shapes, inits, T.TraceOptions(device=device, real=real, timeout=timeout))
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


def _tasks(paths: List[str], stdin_filename: Optional[str], opts: Options, force_exclude: bool):
    tasks: List[Tuple[str, Optional[bytes]]] = []
    if "-" in paths:
        if len(paths) > 1:
            raise click.UsageError("- (standard input) cannot be combined with other paths")
        name = stdin_filename or "-"
        data = sys.stdin.buffer.read()
        if force_exclude and stdin_filename and config_for(name, opts).is_excluded(name):
            return [], []
        return [(name, data)], []

    def excluded(p: str) -> bool:
        return config_for(p, opts).is_excluded(p)

    files, missing = iter_python_files(paths, excluded, force_exclude)
    for f in files:
        config_for(f, opts)  # configuration errors surface here, before any work
    tasks = [(f, None) for f in files]
    return tasks, missing


# ---------------------------------------------------------------------------- shapelint rule


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Explain every rule.")
def rule_command(code, show_all):
    """Explain a rule: what it checks, why it matters, an example, the fix."""
    from .rules import REGISTRY, all_rules

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


SUBCOMMANDS = {"rule": rule_command}


def main(argv: Optional[List[str]] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["lsp"] and not os.path.exists("lsp"):  # the editor server; needs the `lsp` extra
        from .lsp import main as lsp_main

        sys.exit(lsp_main(argv[1:]))
    try:
        if argv and argv[0] in SUBCOMMANDS and not os.path.exists(argv[0]):
            SUBCOMMANDS[argv[0]].main(args=argv[1:], prog_name=f"shapelint {argv[0]}", standalone_mode=True)
        else:
            lint.main(args=argv, prog_name="shapelint", standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(2)
