"""`--trace`: confirm the static shapes with torch itself, in a child process.

The only part of shapelint that touches torch, and it never imports it: the user's file
is imported by `python -m shapelint.frontends.trace.child` (a subprocess with a time limit and a
memory cap), which answers in JSON. Here those answers become findings
(`source: "trace"`) mapped to lines of the user's file, and a `traced_out` column in
the explain table beside the static `out`.

Inputs: what the static check resolved (`FileResult.inputs`: --input-shape, then the
class-line comment, then pyproject), with a symbolic batch replaced by 2; with
nothing declared, the static input when it is concrete apart from the batch (e.g. an
MLP's (B, 784)). The child is given these shapes; it never reads comments or
configuration. The static table compared with the trace is recomputed for that same
concrete input, and trace findings pass the same filter as static ones (selection,
per-file-ignores, `# noqa`). A symbolic batch is 2, never 1: BatchNorm in train mode
rejects one value per channel, an error no declared input asked for.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional

from ...core import rules as R
from ...core.inputs import COMMENT
from ...core.links import install_hint
from ...core.results import ExplainRow, FileResult, ModelReport
from ...core.symbolic import shape_text
from ...engine.check import Settings, apply_policy, lint_source

DEFAULT_TIMEOUT = 60.0
DEFAULT_MEMORY_LIMIT = 8 * 1024**3  # bytes of address space for the child (RLIMIT_AS); not with CUDA
READY_TIMEOUT = 180.0  # importing torch, before any user code runs
BATCH_FOR_SYMBOL = 2
INSTALL_HINT = install_hint("trace")

_MODULE_CLASS = re.compile(r"^\s*class\s+\w+\s*\([^)]*(Module|nn\.|Sequential)", re.M)


class TraceUnavailable(Exception):
    """--trace cannot run at all (no torch, no CUDA): a usage error, exit 2."""


@dataclass
class TraceOptions:
    device: str = "cpu"
    real: bool = False
    timeout: float = DEFAULT_TIMEOUT
    memory_limit: Optional[int] = DEFAULT_MEMORY_LIMIT


@dataclass
class TraceJob:
    result: FileResult
    settings: Settings = field(default_factory=Settings)  # for the static re-run and the findings' filter
    inputs: Dict[str, list] = field(default_factory=dict)  # concrete input per model name
    inferred: set = field(default_factory=set)  # names whose input shapelint inferred (nothing declared)
    answer: Optional[dict] = None
    failure: Optional[str] = None  # timeout or crash of the child while on this file
    failed_model: Optional[str] = None
    failed_line: Optional[int] = None
    finished: List[dict] = field(default_factory=list)  # models answered before a timeout or crash


def parse_init_args(values) -> Dict[str, dict]:
    """`--init-args NAME='{"num_classes": 10}'` (repeatable) -> {NAME: kwargs}."""
    out: Dict[str, dict] = {}
    for v in values:
        target, sep, text = v.partition("=")
        try:
            kwargs = json.loads(text) if sep else None
        except json.JSONDecodeError as e:
            raise ValueError(f"--init-args {target.strip()}: not valid JSON ({e.msg}); expected e.g. Net='{{\"num_classes\": 10}}'") from None
        if not target.strip() or not isinstance(kwargs, dict):
            raise ValueError(f"--init-args expects TARGET=JSON-object such as Net='{{\"num_classes\": 10}}'; got {v!r}")
        out[target.strip()] = kwargs
    return out


# ----------------------------------------------------------------------------- inputs


def concrete_inputs(result: FileResult, inferred: Optional[set] = None) -> Dict[str, list]:
    """The input each model is traced with; no entry when no concrete input is known.

    The static check's own answer (`result.inputs`, declared by the command line, the
    class-line comment or pyproject), then the static engine's input for the rest."""
    out: Dict[str, list] = {}
    for name, declared in result.inputs.items():
        c = _concrete(declared.dims)
        if c:
            out[name] = c
    for m in result.models:
        if m.name not in result.inputs and m.input:
            c = _concrete(m.input)
            if c:
                out[m.name] = c
                if inferred is not None:
                    inferred.add(m.name)
    return out


def _concrete(dims) -> Optional[list]:
    """Batch symbol -> 2; any other symbol -> cannot trace."""
    if not dims:
        return None
    out = []
    for i, d in enumerate(dims):
        if isinstance(d, int) and not isinstance(d, bool):
            out.append(d)
        elif i == 0:
            out.append(BATCH_FOR_SYMBOL)
        else:
            return None
    return out if all(d >= 0 for d in out) else None


# ----------------------------------------------------------------------------- the child


def run_child(jobs: List[TraceJob], options: TraceOptions) -> None:
    """Run every job in child processes: one child for all, restarted after a timeout or crash."""
    pending = list(jobs)
    while pending:
        done = _run_child_once(pending, options)
        pending = pending[done:]


def _run_child_once(jobs: List[TraceJob], options: TraceOptions) -> int:
    """Runs jobs in one child; returns how many jobs were settled (answered or failed).

    (Over 80 lines: one event loop over the child's protocol, whose timeouts and exits
    read best in one place.)"""
    request = {
        "device": options.device,
        "real": options.real,
        "memory_limit": None if options.device == "cuda" else options.memory_limit,
        "files": [
            {"path": os.path.abspath(j.result.path), "inputs": j.inputs, "init_args": j.result.init_args,
             "declared": {n: d.to_json() for n, d in j.result.inputs.items()}} for j in jobs
        ],
    }
    env = dict(os.environ)
    pkg_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    env["PYTHONPATH"] = pkg_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "shapelint.frontends.trace.child"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=env, start_new_session=True,
    )
    lines: "queue.Queue[Optional[str]]" = queue.Queue()

    def reader():
        for raw in proc.stdout:
            lines.put(raw.decode("utf-8", "replace"))
        lines.put(None)

    threading.Thread(target=reader, daemon=True).start()
    try:
        proc.stdin.write(json.dumps(request).encode())
        proc.stdin.close()
    except BrokenPipeError:
        pass
    index = 0  # the job the child is on
    current_model = current_line = None
    deadline = time.monotonic() + READY_TIMEOUT
    ready = False
    try:
        while index < len(jobs):
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                if not ready:
                    raise TraceUnavailable(f"--trace: importing torch took longer than {READY_TIMEOUT:.0f} s")
                job = jobs[index]
                job.failed_model, job.failed_line = current_model, current_line
                job.failure = f"timed out after {_secs(options.timeout)}" + (f" while running {current_model}" if current_model else " while importing the file")
                return index + 1
            if line is None:  # the child exited
                if not ready:
                    tail = _tail(err)
                    raise TraceUnavailable(f"--trace: the torch process exited before it was ready{': ' + tail if tail else ''}")
                proc.wait()
                job = jobs[index]
                job.failed_model, job.failed_line = current_model, current_line
                job.failure = _death(proc.returncode, options, _tail(err))
                return index + 1
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            kind = event.get("event")
            if kind == "no-torch":
                raise TraceUnavailable(f"--trace needs torch, which cannot be imported ({event.get('error')}); install it with: {INSTALL_HINT}")
            if kind == "ready":
                ready = True
                if options.device == "cuda" and not event.get("cuda"):
                    raise TraceUnavailable("--device cuda: no CUDA device is available (torch.cuda.is_available() is False); use --device cpu")
                deadline = time.monotonic() + options.timeout
            elif kind == "file":
                current_model = current_line = None
                deadline = time.monotonic() + options.timeout
            elif kind == "model":
                current_model, current_line = event.get("name"), event.get("line")
            elif kind == "model-done":
                jobs[index].finished.append(event.get("model") or {})
            elif kind == "result":
                jobs[index].answer = event
                index += 1
        return index
    finally:
        _stop(proc)
        err.close()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the child's own session: it and anything it started
        except (ProcessLookupError, PermissionError, AttributeError):  # AttributeError: no killpg (Windows)
            proc.kill()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _secs(t: float) -> str:
    return f"{t:g} s"


def _tail(err) -> str:
    try:
        err.seek(0)
        text = err.read().decode("utf-8", "replace").strip().splitlines()
    except (OSError, ValueError):
        return ""
    return text[-1].strip() if text else ""


def _death(code: Optional[int], options: TraceOptions, tail: str) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        why = f"the torch process was killed by {name}"
    else:
        why = f"the torch process exited with status {code}"
    if tail:
        why += f" ({tail})"
    if "MemoryError" in tail or code == -signal.SIGKILL:
        why += f"; the memory limit is {options.memory_limit // 1024**2} MiB" if options.memory_limit else ""
    return why


# ----------------------------------------------------------------------------- findings


def confirm(results: List[FileResult], settings: Settings, options: TraceOptions) -> None:
    """Trace every file of `results` that may define a model; add findings and traced shapes."""
    jobs = []
    for r in results:
        if r.source is None or r.internal_error or not (r.models or _MODULE_CLASS.search(r.source)):
            continue  # importing runs the file: only files that define a model are worth it
        if any(f.code == R.SyntaxErrorRule.code for f in r.findings):
            continue
        job = TraceJob(r, settings)
        job.inputs = concrete_inputs(r, job.inferred)
        jobs.append(job)
    if not jobs:
        return
    run_child(jobs, options)
    for job in jobs:
        apply_answer(job, options)
    for r in results:  # with --trace every table row has the field, traced or not
        for m in r.models:
            for row in m.layers:
                row.traced = True


def apply_answer(job: TraceJob, options: TraceOptions) -> None:
    r = job.result
    lines = (r.source or "").splitlines()
    new = []
    if job.failure:
        what = f"{job.failed_model} " if job.failed_model else ""
        new.append(_finding(R.TraceFailed, lines, job.failed_line, model=what.strip() or os.path.basename(r.path), detail=job.failure))
    answer = job.answer or {"models": job.finished}
    if answer.get("import_error"):
        e = answer["import_error"]
        if e.get("build"):  # a model built at module level, rejected by torch's constructor
            new.append(_build_error({"name": e["model"], "error": dict(e, in_torch=True)}, None, lines))
        else:
            new.append(_finding(R.TraceFailed, lines, e.get("line"), model=os.path.basename(r.path),
                                detail=f"importing it raised {e['message']}"))
    models = answer.get("models", [])
    used_as_part = {t for m in models for t in m.get("submodule_types", [])}
    static = _static_for_trace(job)
    for m in models:
        name = m["name"]
        status = m.get("status")
        if status == "error" and m["error"].get("stage") == "build":
            new.append(_build_error(m, static.get(name), lines))
        elif status in ("error", "batch-changed") or (m.get("eval") or {}).get("status") in ("error", "batch-changed"):
            new.extend(_run_findings(job, m, static.get(name), lines))
        elif status == "failed":
            new.append(_finding(R.TraceFailed, lines, m.get("line"), model=name, detail=m["error"]["message"]))
        elif status == "skipped":
            declared = r.inputs.get(name)
            explicit = (declared is not None and declared.origin != COMMENT) or name in r.init_args
            if explicit or (name not in used_as_part and m.get("kind") == "class"):
                new.append(_finding(R.TraceSkipped, lines, m.get("line"), model=name, reason=m["skipped"]))
        report = static.get(name)
        if status in ("ok", "batch-changed", "error") and m.get("layers") is not None:
            new.extend(_merge_layers(r, job, m, report, lines))
    new.extend(_static_errors_torch_disproves(r, job, models, lines))
    for f in new:
        f.path = f.path or r.path
    new = apply_policy(r.path, r.source, new, job.settings.config_for(r.path), job.settings)
    r.findings = sorted(r.findings + new, key=lambda f: (f.line, f.column, f.code))


TRAIN_MODE = "in train mode (model.train(), torch's default"
EVAL_MODE = "in eval mode (model.eval(), under torch.no_grad()"


def _build_error(m: dict, report: Optional[ModelReport], lines):
    """SHP300 where the constructor failed: at the deepest line of your files in the traceback
    (a sibling module's line when the bad layer is built there), with torch's message."""
    e = m["error"]
    fields = dict(model=m["name"], stage="building", how="", detail=e["message"], also="")
    if e.get("file"):
        f = _finding(R.TraceError, _read_lines(e["file"]), e.get("file_line"), **fields)
        f.path = e["file"]
    else:
        f = _finding(R.TraceError, lines, e.get("line") or m.get("line") or _report_line(report), **fields)
    if not e.get("in_torch"):
        f.severity = "warning"  # default arguments: maybe not how the model is used
    return f


def _read_lines(path: str) -> List[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()
    except OSError:
        return []


def _runs_by_outcome(m: dict) -> List[tuple]:
    """[(modes, run)]: the train run, and the eval run when there was one; modes that ended
    the same way (same error at the same line, or the same batch change) share one entry."""
    runs = [("train", m)] + ([("eval", m["eval"])] if m.get("eval") else [])
    groups: List[tuple] = []
    for mode, run in runs:
        if run.get("status") not in ("error", "batch-changed"):
            continue
        key = (run["status"], (run.get("error") or {}).get("message"), (run.get("error") or {}).get("line"),
               run.get("batch_line"), tuple(run.get("output") or ()))
        same = next((g for g in groups if g[0] == key), None)
        if same:
            same[1].append(mode)
        else:
            groups.append((key, [mode], run))
    return [(modes, run) for _key, modes, run in groups]


def _how(m: dict, modes: List[str], method: Optional[str]) -> str:
    """` in train mode (model.train(), torch's default; fx on meta)`: the mode is named when
    both were run (the model has code that reads `.training`), else only the method."""
    if len(m.get("modes") or []) < 2:
        return f" ({method})" if method else ""
    if len(modes) == 2:
        return " in train and eval mode" + (f" ({method})" if method else "")
    return " " + (TRAIN_MODE if modes == ["train"] else EVAL_MODE) + (f"; {method})" if method else ")")


def _run_findings(job: TraceJob, m: dict, report: Optional[ModelReport], lines) -> list:
    """SHP300 for a forward torch rejects, SHP301 for a batch it mixes: per mode, naming it."""
    name = m["name"]
    out = []
    for modes, run in _runs_by_outcome(m):
        how = _how(m, modes, run.get("method"))
        if run["status"] == "error":
            e = run["error"]
            if name in job.inferred:
                how += f" on the input {shape_text(m.get('input'))} that shapelint inferred (declare the input to make this an error)"
            f = _finding(R.TraceError, lines, e.get("line") or _module_line(report, e.get("module"))
                         or m.get("line") or _report_line(report), model=name, stage="running", how=how,
                         detail=e["message"], also=_static_match(job.result, e.get("module")))
        else:
            f = _finding(R.TraceBatchChanged, lines, run.get("batch_line") or m.get("line") or _report_line(report),
                         model=name, batch=m["input"][0], out_batch=run["output"][0], inp=shape_text(m["input"]),
                         out=shape_text(run["output"]), how=how)
        if name in job.inferred:
            f.severity = "warning"  # on an input shapelint guessed, not one the user declared
        out.append(f)
    return out


def _static_errors_torch_disproves(r: FileResult, job: TraceJob, models: List[dict], lines) -> list:
    """Static errors in a file where torch built and ran every model without error or batch change."""
    answer = job.answer or {}
    if job.failure or answer.get("import_error") or not models or any(
            m.get("status") != "ok" or (m.get("eval") or {}).get("status", "ok") != "ok" for m in models):
        return []
    ran = ", ".join(f"{m['name']} {shape_text(m.get('input'))}" for m in models)
    out = []
    for f in r.findings:
        if f.source == "static" and f.severity == "error" and f.code not in (R.SyntaxErrorRule.code, R.UnreadableFile.code):
            out.append(_finding(R.StaticErrorNotReproduced, lines, f.line, code=f.code, models=ran))
    return out


def _static_match(r: FileResult, module: Optional[str]) -> str:
    """Points at the static finding about the module torch failed in, if there is one."""
    if not module:
        return ""
    for f in r.findings:
        if f.source == "static" and f.severity == "error" and f.module == module:
            return f"; shapelint found this statically ({f.code} at line {f.line})"
    return ""


def _module_line(report: Optional[ModelReport], module: Optional[str]) -> Optional[int]:
    """Where a submodule is defined, from the static table (for errors inside torch's own forward)."""
    if report is None or not module:
        return None
    return next((row.line for row in report.layers if row.module == module and row.line), None)


def _report_line(report: Optional[ModelReport]) -> Optional[int]:
    return report.line if report is not None and report.line else None


def _static_for_trace(job: TraceJob) -> Dict[str, ModelReport]:
    """Static reports for the concrete inputs the trace used (recomputed when they differ)."""
    r = job.result
    current = {m.name: m for m in r.models}
    need = {n: d for n, d in job.inputs.items() if n in current and current[n].input != d}
    if need:
        # the declared inputs with the traced first input's concrete dims (further inputs kept)
        shapes = {n: _with_first(r.inputs.get(n), d) for n, d in job.inputs.items()}
        concrete = replace(job.settings, input_shapes={**job.settings.input_shapes, **shapes}, explain=True)
        try:
            again = lint_source(r.path, r.source, concrete)
        except Exception:  # the static run already succeeded once; be safe anyway
            return current
        for m in again.models:
            if m.name in need:
                current[m.name] = m
        r.models = [current.get(m.name, m) for m in r.models]
    return current


def _with_first(declared, dims: list):
    """A declaration whose first input has `dims` (its name and dtype kept)."""
    if declared is None:
        return dims
    (name, spec), rest = declared.inputs[0], declared.inputs[1:]
    return ((name, spec._replace(dims=tuple(dims))),) + tuple(rest)


def _merge_layers(r: FileResult, job: TraceJob, m: dict, report: Optional[ModelReport], lines) -> list:
    """Put traced shapes beside the static rows; new rows for what the static engine did not see."""
    traced = m.get("layers") or []
    findings = []
    if report is None:
        report = ModelReport(m["name"], m.get("kind", "class"), None, m.get("input"))
        report.line = m.get("line") or 0
        r.models.append(report)
    static_rows = report.layers
    for row in static_rows:
        row.traced = True
    pairs = _pair_rows(static_rows, traced)
    merged = []
    next_static = 0
    for t_index, t in enumerate(traced):
        s_index = pairs.get(t_index)
        if s_index is None:
            merged.append(ExplainRow(t["module"], t["op"], line=t.get("line") or 0, call_line=t.get("line") or 0,
                                     traced=True, traced_out=t["out"]))
            continue
        while next_static <= s_index:
            merged.append(static_rows[next_static])
            next_static += 1
        row = static_rows[s_index]
        row.traced_out = t["out"]
        if not t.get("container") and _known(row.out) and t["out"] is not None and list(row.out) != list(t["out"]):
            where = row.call_line or row.line or t.get("line")
            label = row.module or row.op
            findings.append(_finding(R.StaticTraceDisagreement, lines, where, model=m["name"], layer=label,
                                     static=shape_text(row.out), traced=shape_text(t["out"])))
    merged.extend(static_rows[next_static:])
    report.layers = merged
    report.trace = {"method": m.get("method"), "status": m.get("status"), "input": m.get("input"),
                    "output": m.get("output"), "fx_error": m.get("fx_error"), "modes": m.get("modes") or ["train"]}
    if m.get("eval"):  # the table is the train run's; the eval run's outcome beside it
        report.trace["eval"] = {k: m["eval"].get(k) for k in ("method", "status", "output", "error")}
    return findings


def _pair_rows(static_rows: List[dict], traced: List[dict]) -> Dict[int, int]:
    """traced index -> static index: modules by (name, k-th call), functional ops by (line,
    op name, k-th call). What cannot be paired this way stays unpaired, never guessed."""
    s_keys: Dict[tuple, List[int]] = {}
    for i, row in enumerate(static_rows):
        s_keys.setdefault(_row_key(row.module, row.op, row.call_line or row.line), []).append(i)
    seen: Dict[tuple, int] = {}
    out: Dict[int, int] = {}
    for ti, t in enumerate(traced):
        key = _row_key(t.get("module"), t.get("op"), t.get("line"))
        k = seen.get(key, 0)
        seen[key] = k + 1
        cands = s_keys.get(key, [])
        if k < len(cands):
            out[ti] = cands[k]
    # keep the pairing monotonic, so merged rows stay in execution order
    last = -1
    for ti in sorted(out):
        if out[ti] <= last:
            del out[ti]
        else:
            last = out[ti]
    return out


_OPERATORS = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "//": "floordiv", "@": "matmul", "[]": "getitem"}


def _row_key(module, op, line) -> tuple:
    if module:
        return ("module", module)
    name = str(op or "").strip()
    name = _OPERATORS.get(name, name)
    name = name.lstrip(".").replace("()", "")
    if name.startswith("__") and name.endswith("__"):
        name = name.strip("_")  # Tensor.__add__ (hooks) is operator.add (fx)
    for prefix in ("torch.nn.functional.", "nn.functional.", "F.", "torch.", "Tensor."):
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    return ("op", line, name.replace(".", "_").rstrip("_"))


def _known(shape) -> bool:
    return bool(shape) and all(isinstance(d, int) and not isinstance(d, bool) for d in shape)


def _finding(rule, lines: List[str], line: Optional[int], **fields):
    f = rule.finding(None, **fields)
    f.resolve(lambda n: None)
    f.source = "trace"
    ln = line if line and 1 <= line <= max(len(lines), 1) else 1
    text = lines[ln - 1] if 0 < ln <= len(lines) else ""
    f.line = f.end_line = ln
    f.column = len(text) - len(text.lstrip()) + 1
    f.end_column = max(len(text.rstrip()) + 1, f.column)
    return f
