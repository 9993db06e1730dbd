"""The child process of `shapelint --trace`: imports the user's files and runs their models with torch.

Run as `python -m shapelint.frontends.trace.child`; only `trace.parent` starts it. The parent
writes one JSON request on stdin and reads JSON lines back. User code may print, so the
protocol uses a private copy of the original stdout and fd 1 is pointed at stderr.

Events, one JSON object a line:
  {"event": "no-torch", "error": "..."}            torch cannot be imported (the child exits)
  {"event": "ready", "torch": "2.13.0", "cuda": bool}
  {"event": "file", "path": ...}                    importing a file
  {"event": "model", "path": ..., "name": ...}      building and running one model
  {"event": "model-done", "path": ..., "model": {...}}  the model before it, finished
  {"event": "result", "path": ..., "import_error": {...} | null, "models": [...]}

How a model runs (cheapest first, each step only when the one before cannot answer):
  1. built on the meta device (no weights), traced with torch.fx and its shapes propagated
     node by node (as fx's ShapeProp does); 2. when fx cannot trace it (data-dependent control flow), its forward
  runs on meta tensors with forward hooks; 3. when meta cannot answer (a data-dependent
  branch needs values, or a meta kernel rejects what CPU accepts), the model is rebuilt
  with real weights on the CPU and run with hooks. An error found on meta is re-run for
  the failing node on small CPU tensors, so the message is torch's CPU message; meta
  does not check ConvTranspose input channels, so those layers are checked on CPU too.
  `--real` (or `--device cuda`) skips meta and runs real tensors on the device.

Modes: every model runs in train mode (with autograd), as torch constructs it and a training
step runs it; when some module's code reads `.training` (dropout, batch norm, your own
`if self.training:`), it runs in eval mode under no_grad too, and each run reports its own
outcome ("eval" in the answer). The table is the train run's.

Longer than 600 lines on purpose: it is the one module that imports torch, started as
its own process, and reads best whole (protocol, model discovery, the three ways to
run a model); split it along those lines when it grows further.
"""

from __future__ import annotations

import copy
import importlib.util
import inspect
import json
import os
import re
import sys
import traceback
from typing import Any, Dict, List, Optional

from .forward_inputs import ForwardInputs, forward_inputs



def main() -> None:
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything the user's code prints goes to stderr, never into the protocol
    sys.stdout = sys.stderr
    request = json.loads(sys.stdin.read())

    def send(obj: dict) -> None:
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    _limit_memory(request.get("memory_limit"))
    try:
        import torch  # noqa: F401
    except BaseException as e:  # ImportError, or a broken install raising anything
        send({"event": "no-torch", "error": f"{type(e).__name__}: {e}".strip()})
        return
    cuda = bool(torch.cuda.is_available())
    if request.get("device") == "cuda" and not cuda:
        send({"event": "ready", "torch": torch.__version__, "cuda": cuda})
        return
    _warm_up()
    send({"event": "ready", "torch": torch.__version__, "cuda": cuda})
    for item in request["files"]:
        send({"event": "file", "path": item["path"]})
        send(check_file(item, request, send))


def _warm_up() -> None:
    """Pay torch's lazy imports before the per-file clock starts (they take seconds on a busy machine)."""
    try:
        import torch
        import torch.nn as nn

        with torch.device("meta"):
            model = nn.Sequential(nn.Conv2d(1, 1, 1), nn.Flatten(), nn.Linear(4, 2))
        with torch.no_grad():
            run_fx(fx_trace(model, "<warm-up>"), torch.empty(1, 1, 2, 2, device="meta"), "<warm-up>")
            model.to_empty(device="cpu")(torch.zeros(1, 1, 2, 2))
    except Exception:
        pass  # only a warm-up: the real runs report their own errors


def _limit_memory(limit) -> None:
    if not limit:
        return
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
    except (ImportError, ValueError, OSError):
        pass  # not on this platform: the time limit still applies


# ----------------------------------------------------------------------------- files


def check_file(item: dict, request: dict, send) -> dict:
    path = item["path"]
    out = {"event": "result", "path": path, "import_error": None, "models": []}
    try:
        module = import_file(path)
    except BaseException as e:  # SystemExit and KeyboardInterrupt from user code included
        if isinstance(e, KeyboardInterrupt):
            raise
        out["import_error"] = {"message": _one_line(e), "line": user_line_of(e, path)}
        building = _module_being_built(e)
        if building and torch_rejects(e):  # `model = Net()` at module level, and torch's constructor raised
            out["import_error"].update(build=True, model=building, **_user_frame(e, path))
        return out
    for target in discover_targets(module, item):
        send({"event": "model", "path": path, "name": target["name"], "line": _definition_line(target)})
        if out["models"]:
            send({"event": "model-done", "path": path, "model": out["models"][-1]})  # kept if a later model hangs
        try:
            out["models"].append(trace_target(target, item, request, path))
        except Exception as e:  # out of memory under the cap, or meta and CPU both unable to run it
            why = _one_line(e)
            if _out_of_memory(e):
                limit = request.get("memory_limit")
                cap = f" (the trace process may use {int(limit) / 1024**3:g} GiB)" if limit else ""
                why = f"it ran out of memory{cap}: {why}"
            out["models"].append({"name": target["name"], "kind": target["kind"], "status": "failed",
                                  "line": _definition_line(target),
                                  "error": {"message": why, "line": None}, "layers": []})
    return out


_IMPORTED = 0


def import_file(path: str):
    """Import the user's file as Python would run it: a module of a package by its dotted
    name from the package root (so `from .blocks import Block` works), a plain script
    under a unique name with its own folder on sys.path."""
    package = package_name(path)
    old_argv = sys.argv
    sys.argv = [path]
    try:
        if package is not None:
            return _import_in_package(*package)
        return _import_script(path)
    finally:
        sys.argv = old_argv


def package_name(path: str) -> Optional[tuple]:
    """(package root, dotted name) for a file inside a package: walk up while __init__.py exists.
    None for a plain script, or where a folder name is not an identifier."""
    directory, filename = os.path.split(os.path.abspath(path))
    stem = os.path.splitext(filename)[0]
    parts = [] if stem == "__init__" else [stem]
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        parent, name = os.path.split(directory)
        if parent == directory:
            break
        parts.insert(0, name)
        directory = parent
    if not parts or parts == [stem] or not all(p.isidentifier() for p in parts):
        return None
    return directory, ".".join(parts)


def _import_in_package(root: str, dotted: str):
    if root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)  # as `python -m pkg.net` run from the root sees it
    top = dotted.split(".")[0]
    loaded = sys.modules.get(top)
    if loaded is not None and not _is_under(loaded, root):
        for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
            del sys.modules[name]  # a package of the same name from another file's root
    importlib.invalidate_caches()
    return importlib.import_module(dotted)  # __name__ is not "__main__": main blocks are skipped


def _is_under(module, root: str) -> bool:
    places = list(getattr(module, "__path__", None) or []) or [getattr(module, "__file__", None) or ""]
    return any(p and os.path.realpath(p).startswith(os.path.realpath(root) + os.sep) for p in places)


def _import_script(path: str):
    directory = os.path.dirname(os.path.abspath(path))
    if directory not in sys.path:
        sys.path.insert(0, directory)  # sibling imports work as they do when the user runs it
    global _IMPORTED
    _IMPORTED += 1  # two files named model.py in different folders must not share a module
    name = f"shapelint_traced_{_IMPORTED}_" + re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)  # __name__ is not "__main__": main blocks are skipped
    return module


def discover_targets(module, item: dict) -> List[dict]:
    """nn.Module classes defined in the file and module-level variables holding a model."""
    import torch.nn as nn

    found = []
    for name, value in list(vars(module).items()):
        if name.startswith("__"):
            continue
        if inspect.isclass(value) and issubclass(value, nn.Module) and value.__module__ == module.__name__:
            found.append({"name": name, "kind": "class", "obj": value})
        elif isinstance(value, nn.Module) and not inspect.isclass(value):
            found.append({"name": name, "kind": "variable", "obj": value})
    return found


# ----------------------------------------------------------------------------- models


class TraceFailure(Exception):
    """The model could not be checked for a reason that is not a torch error."""


TRAIN, EVAL = "train", "eval"  # model.train() is how torch builds a model; model.eval() for inference


class MetaCannotAnswer(Exception):
    """The meta device cannot decide this run (values needed, or meta and CPU disagree): run on the CPU."""


def trace_target(target: dict, item: dict, request: dict, path: str) -> dict:
    name = target["name"]
    res: Dict[str, Any] = {"name": name, "kind": target["kind"], "status": "ok", "method": None, "layers": [],
                           "input": None, "output": None, "error": None, "skipped": None, "fx_error": None,
                           "line": _definition_line(target), "submodule_types": [], "modes": [TRAIN]}
    init_args = item.get("init_args", {}).get(name, {})
    if target["kind"] == "class":
        missing = _missing_init_args(target["obj"], init_args)
        if missing:
            res["status"] = "skipped"
            res["skipped"] = f"its __init__ needs {', '.join(missing)}"
            return res
    dims = item.get("inputs", {}).get(name)
    last_meta_problem = None
    for dev in _devices(target, request):
        try:
            model = build(target, init_args, dev)
        except Exception as e:
            if _out_of_memory(e):
                raise
            if dev == "meta":
                last_meta_problem = _one_line(e)
                continue  # some __init__ code needs real values: build on the CPU instead
            res.update(status="error", error={"stage": "build", "message": _one_line(e), "line": user_line_of(e, path),
                                              "in_torch": torch_rejects(e), **_user_frame(e, path)})
            return res
        res["submodule_types"] = sorted({type(m).__name__ for n, m in model.named_modules() if n})
        if dims is None:
            res["status"] = "skipped"
            res["skipped"] = "no input shape is declared"
            return res
        declared = item.get("declared", {}).get(name)
        x = make_input(model, dims, dev, _declared_dtype(declared))
        more, why = forward_inputs(model, declared, x, lambda d, t, dev=dev: make_input(model, d, dev, t or "float"))
        if more is None:
            res["status"] = "skipped"
            res["skipped"] = why
            return res
        res["input"] = list(x.shape)
        modes = [TRAIN, EVAL] if mode_dependent(model) else [TRAIN]  # decided before a lazy module changes class
        try:
            runs = [run_in_mode(model, x, path, dev, mode, more) for mode in modes]
        except MetaCannotAnswer as e:
            last_meta_problem = str(e)
            continue
        train = runs[0]
        if train["status"] == "error" and train["error"]["message"].startswith("NotImplementedError"):
            res["status"] = "skipped"  # an abstract base, or a module without forward
            res["skipped"] = f"its forward raises {train['error']['message']}"
            return res
        res.update(train)
        res["modes"] = modes
        if len(runs) > 1:
            res["eval"] = {k: runs[1].get(k) for k in ("status", "method", "output", "error", "batch_line")}
        return res
    raise TraceFailure(last_meta_problem or "no device could run the model")


def _devices(target: dict, request: dict) -> List[str]:
    """Where to run: a class is built on meta first (no weights), then on the CPU when meta
    cannot answer; a model held in a variable already has its weights, so it runs where it is
    (moved in place to --device): copying it is not how torch runs it, and lazy modules'
    uninitialised parameters cannot be copied or moved to meta."""
    device = request.get("device") or "cpu"
    real = bool(request.get("real")) or device == "cuda"
    if target["kind"] == "variable":
        return [device if real else _home_device(target["obj"])]
    return [device] if real else ["meta", "cpu"]


def _home_device(model) -> str:
    for t in list(model.parameters()) + list(model.buffers()):
        try:
            return t.device.type
        except Exception:  # an uninitialised lazy parameter has no device to ask for
            continue
    return "cpu"


def run_in_mode(model, x, path: str, device: str, mode: str, more: ForwardInputs = None) -> dict:
    """One forward in train mode (with autograd, as a training step runs it) or eval mode
    (under no_grad, as inference runs it). On meta, an error is confirmed on the CPU."""
    model.train(mode == TRAIN)
    run = run_model(model, x, path, device, grad=mode == TRAIN, more=more)
    if run["status"] == "error" and run["error"].pop("oom", False):
        raise MemoryError(run["error"]["message"])
    confirmed = run.pop("confirm", None)
    if run["status"] == "error" and device == "meta":
        cpu_exc = _confirm_on_cpu(confirmed) if confirmed else None
        if cpu_exc is None:
            raise MetaCannotAnswer(run["error"]["message"])
        run["error"]["message"] = _one_line(cpu_exc)
        run["method"] += " on meta, confirmed on cpu"
    if " on " not in run["method"]:
        run["method"] = f"{run['method']} on {device}"
    if run["status"] == "ok":
        _check_batch(run, x)
    return run


def mode_dependent(model) -> bool:
    """Whether train and eval mode can run differently: some module's code reads `.training`
    (dropout, batch norm, an `if self.training:` branch of yours)."""
    try:
        return any(_reads_training(type(m)) for m in model.modules())
    except Exception:  # a class whose attributes cannot be read: run both rather than miss one
        return True


_READS_TRAINING: Dict[type, bool] = {}


def _reads_training(cls) -> bool:
    import torch.nn as nn

    if cls not in _READS_TRAINING:
        _READS_TRAINING[cls] = any(
            "training" in _names_read(code)
            for klass in cls.__mro__ if klass not in (nn.Module, object)  # Module.train() itself sets it
            for value in vars(klass).values()
            for code in _codes_of(value))
    return _READS_TRAINING[cls]


def _codes_of(value) -> List[Any]:
    if isinstance(value, property):
        return [c for f in (value.fget, value.fset) for c in _codes_of(f)]
    value = getattr(value, "__func__", value)  # staticmethod, classmethod
    code = getattr(value, "__code__", None)
    return [code] if code is not None else []


def _names_read(code) -> set:
    """Attribute and global names a function uses, its nested functions and lambdas included."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names_read(const)
    return names


def _definition_line(target: dict) -> Optional[int]:
    try:
        obj = target["obj"] if target["kind"] == "class" else type(target["obj"])
        return inspect.getsourcelines(obj)[1] if target["kind"] == "class" else None
    except (OSError, TypeError):
        return None


def _missing_init_args(cls, given: dict) -> List[str]:
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return []
    out = []
    for i, p in enumerate(sig.parameters.values()):
        if i == 0 or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is p.empty and p.name not in given:
            out.append(p.name)
    return out


def build(target: dict, init_args: dict, device: str):
    """A fresh model for a class (in train mode, as torch constructs it); a variable's own
    model, moved in place when another device is asked for, never copied."""
    import torch

    torch.manual_seed(0)
    if target["kind"] == "class":
        with torch.device(device):
            return target["obj"](**init_args)
    model = target["obj"]
    if _home_device(model) != device:
        model.to(device)
    return model


def _declared_dtype(declared: Optional[list]) -> Optional[str]:
    """The dtype the declaration gives the first input (core.inputs: `idx=(2, 16):long`)."""
    return declared[0].get("dtype") if declared else None


def make_input(model, dims: List[int], device: str, dtype: Optional[str] = None):
    """The first input: of the declared dtype (token ids 0 for long/int), else long when
    the model starts with an embedding, float otherwise."""
    import torch
    import torch.nn as nn

    first_leaf = next((m for m in model.modules() if not list(m.children())), None)
    if dtype in ("long", "int") or (dtype is None and isinstance(first_leaf, (nn.Embedding, nn.EmbeddingBag))):
        return torch.zeros(dims, dtype=torch.int32 if dtype == "int" else torch.long, device=device)
    if dtype == "bool":
        return torch.zeros(dims, dtype=torch.bool, device=device)
    if dtype == "half":
        return torch.zeros(dims, dtype=torch.half, device=device)
    if device == "meta":
        return torch.empty(dims, device="meta")
    gen = torch.Generator().manual_seed(0)
    return torch.randn(dims, generator=gen).to(device)


def _confirm_on_cpu(confirm) -> Optional[BaseException]:
    """Re-run the failing node on CPU tensors; the exception torch raises there, or None
    (CPU accepts it, or the layer cannot be put on the CPU alone: the model is re-run there)."""
    try:
        confirm()
    except NoCpuTwin:
        return None
    except Exception as e:
        return e
    return None


def _cpu_copy(value):
    import torch
    from torch.utils._pytree import tree_map

    def conv(t):
        if isinstance(t, torch.Tensor) and t.is_meta:
            return torch.zeros(t.shape, dtype=t.dtype)
        return t

    return tree_map(conv, value)


class NoCpuTwin(Exception):
    """A layer that cannot be copied to the CPU on its own (e.g. a lazy layer not yet initialised)."""


def _cpu_module(module):
    """A CPU twin of one failing layer (a leaf of the fx graph, one of torch's own, never the
    whole model), with empty weights: enough to get torch's CPU message for its shapes."""
    try:
        return copy.deepcopy(module).to_empty(device="cpu")
    except Exception as e:
        raise NoCpuTwin(_one_line(e)) from e


def _meta_gap_check(module, args) -> None:
    """Checks meta kernels skip: ConvTranspose does not check its input channels on meta."""
    import torch
    import torch.nn as nn

    if not isinstance(module, nn.modules.conv._ConvTransposeNd) or not args:
        return
    x = args[0]
    if not isinstance(x, torch.Tensor) or not x.is_meta:
        return
    spatial = len(module.kernel_size)
    ch = 1 if x.dim() == spatial + 2 else 0
    if x.dim() > ch and x.shape[ch] != module.in_channels:
        _cpu_module(module)(*_cpu_copy(tuple(args)))  # raises torch's own CPU error


def run_model(model, x, path: str, device: str, grad: bool = False, more: ForwardInputs = None) -> dict:
    """Trace with fx when it can, else hooks. Returns status, method, layers, output or error.
    `more`: a forward's further inputs (trace/forward_inputs.py)."""
    import torch

    more = more or ForwardInputs()
    fx_error = None
    try:
        gm = fx_trace(model, path, more.concrete)
    except Exception as e:
        fx_error = {"message": _one_line(e), "line": user_line_of(e, path)}
        gm = None
    with torch.set_grad_enabled(grad):
        if gm is not None:
            out = run_fx(gm, x, path, more.extras)
        else:
            out = run_hooks(model, x, path, more.extras)
    out["fx_error"] = fx_error
    return out


def fx_trace(model, path: str = "", concrete: Optional[dict] = None):
    """torch.fx symbolic trace that notes, per node, the innermost line of the user's file.

    (fx's own record_stack_traces imports torch.profiler: seconds on a busy machine.)"""
    import torch.fx as fx

    class LineTracer(fx.Tracer):
        def create_node(self, *args, **kwargs):
            node = super().create_node(*args, **kwargs)
            f = sys._getframe(1)
            while f is not None:
                if _same_file(f.f_code.co_filename, path):
                    node.meta["shapelint_line"] = f.f_lineno
                    break
                f = f.f_back
            return node

    tracer = LineTracer()
    graph = tracer.trace(model, concrete_args=concrete or None)
    return fx.GraphModule(tracer.root, graph, type(model).__name__)


def run_fx(gm, x, path: str, extras=()) -> dict:
    """Propagate shapes through the fx graph node by node (what fx's ShapeProp does, without
    its import of the symbolic-shapes machinery, which costs a second), noting the failing node."""
    import torch.fx as fx

    class Prop(fx.Interpreter):
        current = None

        def run_node(self, n):
            self.current = n
            if n.op == "call_module":
                args, _kwargs = self.fetch_args_kwargs_from_env(n)
                _meta_gap_check(self.fetch_attr(n.target), args)
            result = super().run_node(n)
            t = _first_tensor(result)
            if t is not None:
                n.meta["shapelint_shape"] = list(t.shape)
            return result

    prop = Prop(gm)
    try:
        result = prop.run(x, *extras)
    except Exception as e:
        cause = e
        n = prop.current
        line = _node_line(n, path) if n is not None else user_line_of(cause, path)
        confirm = None
        if n is not None and x.is_meta:
            args, kwargs = prop.fetch_args_kwargs_from_env(n)
            confirm = _node_confirmer(gm, n, args, kwargs)
        module = str(n.target) if n is not None and n.op == "call_module" else None
        return {"status": "error", "method": "fx", "layers": _fx_layers(gm, path, n),
                "error": {"stage": "forward", "message": _one_line(cause), "line": line, "module": module,
                          "oom": _out_of_memory(cause)},
                "confirm": confirm}
    layers = _fx_layers(gm, path)
    out = _first_tensor(result)
    res = {"status": "ok", "method": "fx", "layers": layers, "output": list(out.shape) if out is not None else None}
    batch = x.shape[0] if x.dim() else None
    if out is not None and out.dim() and out.shape[0] != batch:
        res["batch_line"] = _fx_batch_culprit(gm, batch, path)
    return res


def _node_confirmer(gm, n, args, kwargs):
    def confirm():
        cargs, ckwargs = _cpu_copy(tuple(args)), _cpu_copy(dict(kwargs))
        if n.op == "call_module":
            _cpu_module(gm.get_submodule(n.target))(*cargs, **ckwargs)
        elif n.op == "call_function":
            n.target(*cargs, **ckwargs)
        elif n.op == "call_method":
            getattr(cargs[0], n.target)(*cargs[1:], **ckwargs)

    return confirm


def _node_line(n, path: str) -> Optional[int]:
    return n.meta.get("shapelint_line")


def _shape_meta(n):
    return n.meta.get("shapelint_shape")


def _fx_layers(gm, path: str, failed=None) -> List[dict]:
    rows = []
    nodes = list(gm.graph.nodes)
    containers = _fx_containers(gm, nodes.index(failed) if failed in nodes else None)
    for i, n in enumerate(gm.graph.nodes):
        for name, (kind, shape) in containers.get(i, {}).items():
            rows.append({"module": name, "op": kind, "line": _node_line(n, path), "out": shape, "container": True})
        if n.op not in ("call_module", "call_function", "call_method"):
            continue
        shape = _shape_meta(n)
        if shape is None:
            continue  # sizes, getattr of ints: not a tensor op
        if n.op == "call_module":
            rows.append({"module": str(n.target), "op": type(gm.get_submodule(n.target)).__name__,
                         "line": _node_line(n, path), "out": shape})
        else:
            op = n.target if isinstance(n.target, str) else getattr(n.target, "__name__", str(n.target))
            rows.append({"module": None, "op": op, "line": _node_line(n, path), "out": shape})
    return rows


def _fx_containers(gm, failed_index: Optional[int] = None) -> Dict[int, Dict[str, tuple]]:
    """Modules fx inlines (Sequential, your own blocks), each called once: a row at its first
    node, with the shape of the last tensor computed inside it (its output, as a rule)."""
    spans: Dict[str, list] = {}
    for i, n in enumerate(gm.graph.nodes):
        for key, value in (n.meta.get("nn_module_stack") or {}).items():
            if n.op == "call_module" and key == n.target:
                continue  # the leaf itself
            span = spans.setdefault(key, [i, i, None, value[1]])
            span[1] = i
            if _shape_meta(n) is not None:
                span[2] = _shape_meta(n)
    out: Dict[int, Dict[str, tuple]] = {}
    for key, (first, last, shape, cls) in spans.items():
        if "@" in key or shape is None:
            continue  # called more than once: which output is which would be a guess
        if failed_index is not None and last >= failed_index:
            continue  # torch failed inside it: it has no output
        out.setdefault(first, {})[key] = (getattr(cls, "__name__", str(cls)), shape)
    return out


def _fx_batch_culprit(gm, batch, path: str) -> Optional[int]:
    """The node where the batch dimension stops being the batch, walking back from the output."""
    out_node = next(n for n in gm.graph.nodes if n.op == "output")
    args = out_node.args[0]
    while isinstance(args, (tuple, list)) and args:
        args = args[0]
    n = args if hasattr(args, "all_input_nodes") else None
    seen = set()
    while n is not None and n not in seen:
        seen.add(n)
        bad = [a for a in n.all_input_nodes if _shape_meta(a) and _shape_meta(a)[0] != batch]
        if not bad:
            return _node_line(n, path)
        n = bad[0]
    return None


def run_hooks(model, x, path: str, extras=()) -> dict:
    """Run forward with hooks on every submodule, and a TorchFunctionMode that records the
    torch functions and tensor methods your own code calls (F.relu, x.view, +, ...)."""
    from torch.overrides import TorchFunctionMode

    rows: List[dict] = []
    handles = []
    active: List[tuple] = []  # (name, row, module) entered and not yet left; the last is where an error arises
    user_module = type(model).__module__

    def call_line(depth: int) -> Optional[int]:
        f = sys._getframe(depth)
        while f is not None:
            if _same_file(f.f_code.co_filename, path):
                return f.f_lineno
            f = f.f_back
        return None

    for name, sub in model.named_modules():
        if not name:
            continue

        def pre(mod, args, name=name):
            first = _first_tensor(args)
            row = {"module": name, "op": type(mod).__name__, "line": call_line(3), "out": None,
                   "_in0": first.shape[0] if first is not None and first.dim() else None}
            rows.append(row)  # now, so that a container comes before its parts, as in the static table
            active.append((name, row, mod))
            _meta_gap_check(mod, args)

        def post(mod, args, output, name=name):
            if active and active[-1][0] == name:
                _n, row, _m = active.pop()
                t = _first_tensor(output)
                row["out"] = list(t.shape) if t is not None else None

        handles.append(sub.register_forward_pre_hook(pre))
        handles.append(sub.register_forward_hook(post))

    class RecordOps(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            inside_torch_layer = active and type(active[-1][2]).__module__ != user_module
            if not inside_torch_layer:
                t = _first_tensor(out)
                line = call_line(2)
                if t is not None and line is not None:
                    first = _first_tensor(args)
                    rows.append({"module": None, "op": getattr(func, "__name__", str(func)), "line": line,
                                 "out": list(t.shape), "_in0": first.shape[0] if first is not None and first.dim() else None})
            return out

    try:
        with RecordOps():
            result = model(x, *extras)
    except Exception as e:
        return {"status": "error", "method": "hooks", "layers": _clean(rows),
                "error": {"stage": "forward", "message": _one_line(e), "line": user_line_of(e, path),
                          "module": active[-1][0] if active else None, "oom": _out_of_memory(e)},
                "confirm": None}
    finally:
        for h in handles:
            h.remove()
    out = _first_tensor(result)
    res = {"status": "ok", "method": "hooks", "layers": _clean(rows), "output": list(out.shape) if out is not None else None}
    batch = x.shape[0] if x.dim() else None
    if out is not None and out.dim() and out.shape[0] != batch:
        culprit = next((r for r in rows if r["_in0"] == batch and r["out"] and r["out"][0] != batch), None)
        res["batch_line"] = culprit["line"] if culprit else None
    return res


def _clean(rows: List[dict]) -> List[dict]:
    return [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows if r.get("out") is not None]


def _check_batch(res: dict, x) -> None:
    out = res.get("output")
    if out and x.dim() and out[0] != x.shape[0]:
        res["status"] = "batch-changed"


def _first_tensor(value):
    import torch

    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for v in value:
            t = _first_tensor(v)
            if t is not None:
                return t
    if isinstance(value, dict):
        for v in value.values():
            t = _first_tensor(v)
            if t is not None:
                return t
    return None


# ----------------------------------------------------------------------------- helpers


def _out_of_memory(e: BaseException) -> bool:
    text = str(e)
    return isinstance(e, MemoryError) or "can't allocate memory" in text or "out of memory" in text.lower()


def torch_rejects(e: BaseException) -> bool:
    """torch's own code raised (a layer validating its arguments), and not for a missing file
    or package: that is the environment, not the model."""
    return _raised_in_torch(e) and not isinstance(e, (OSError, ImportError))


def _module_being_built(e: BaseException) -> Optional[str]:
    """The class of the outermost nn.Module whose __init__ is in the traceback (`Net` for
    `model = Net()` at module level), or None when no module was being constructed."""
    import torch.nn as nn

    tb = e.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name == "__init__" and isinstance(frame.f_locals.get("self"), nn.Module):
            return type(frame.f_locals["self"]).__name__
        tb = tb.tb_next
    return None


def _user_frame(e: BaseException, path: str) -> dict:
    """{"file": ..., "file_line": ...} for the deepest frame of the traceback in the user's own
    files, when that is another file than `path` (a block built in a sibling module)."""
    deepest = None
    for frame in traceback.extract_tb(e.__traceback__):
        if _same_file(frame.filename, path) or _is_user_file(frame.filename):
            deepest = frame
    if deepest is None or _same_file(deepest.filename, path):
        return {}
    return {"file": os.path.realpath(deepest.filename), "file_line": deepest.lineno}


_LIBRARY_DIRS: List[str] = []


def _is_user_file(filename: str) -> bool:
    """A real file outside torch, shapelint, the standard library and installed packages."""
    import sysconfig

    import torch

    if not _LIBRARY_DIRS:
        dirs = [os.path.dirname(torch.__file__), os.path.dirname(os.path.abspath(__file__))]
        dirs += [v for k, v in sysconfig.get_paths().items() if k in ("stdlib", "platstdlib", "purelib", "platlib")]
        _LIBRARY_DIRS.extend(os.path.realpath(d) + os.sep for d in dirs if d)
    if not os.path.isfile(filename):
        return False  # <string>, <frozen ...>
    real = os.path.realpath(filename)
    return not any(real.startswith(d) for d in _LIBRARY_DIRS)


def _raised_in_torch(e: BaseException) -> bool:
    """Whether the exception comes from torch's own code (e.g. nn.Conv2d validating its arguments)."""
    import torch

    torch_dir = os.path.dirname(os.path.realpath(torch.__file__))
    frames = traceback.extract_tb(e.__traceback__)
    return bool(frames) and os.path.realpath(frames[-1].filename).startswith(torch_dir + os.sep)


_REALPATHS: Dict[str, str] = {}


def _same_file(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        for p in (a, b):
            if p not in _REALPATHS:
                _REALPATHS[p] = os.path.realpath(p)
        return _REALPATHS[a] == _REALPATHS[b]
    except (OSError, ValueError):
        return False


def user_line_of(e: BaseException, path: str) -> Optional[int]:
    """The deepest line of the user's file in the exception's traceback."""
    line = None
    for frame in traceback.extract_tb(e.__traceback__):
        if _same_file(frame.filename, path):
            line = frame.lineno
    if line is None and isinstance(e, SyntaxError) and e.filename and _same_file(e.filename, path):
        line = e.lineno
    return line


def _one_line(e: BaseException) -> str:
    text = str(e).strip()
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return f"{type(e).__name__}: {first}" if first else type(e).__name__


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        pass
