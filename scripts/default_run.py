"""The default run (issue 16): every fixture and example checked with nothing declared.

A new user and every pre-commit hook run `shapelint model.py` without an input shape. This
copies fixtures/ and examples/ to a temporary folder, strips every declared input (the
`# shapelint: ...` comments on class and variable lines; pyproject.toml is not read:
--isolated), checks each file through the same seam the CLI calls, and prints:

- files, models checked, and models followed to the end (output shape known, no place
  where static shapes stopped);
- errors with nothing declared (they hold for every input), in `*_bad` files, in
  fixtures/trace/ (models that fail on purpose) and in correct files: an error in a correct
  file is a false alarm;
- the defects marked `# defect: every input` (fixtures/README.md) and how many are found;
- classes skipped (no model built) and why, and why the models not followed to the end stopped.

Usage: python scripts/default_run.py [--list]   (--list also prints each error and skip)
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from shapelint.core.inputs import comment_declaration  # noqa: E402
from shapelint.engine.check import Settings, lint_source  # noqa: E402

TREES = ("fixtures", "examples")
_COMMENT = re.compile(r"#\s*shapelint:[^\n]*")


def strip_declarations(text: str) -> str:
    """The source without any `# shapelint: ...` comment that declares inputs."""
    return _COMMENT.sub(lambda m: "" if comment_declaration(m.group(0)) is not None else m.group(0), text)


def copy_stripped(dest: str) -> list:
    """fixtures/ and examples/ under `dest`, declarations stripped; the Python files' paths."""
    files = []
    for tree in TREES:
        for dirpath, dirs, names in os.walk(os.path.join(ROOT, tree)):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__pycache__")))
            out_dir = os.path.join(dest, os.path.relpath(dirpath, ROOT))
            os.makedirs(out_dir, exist_ok=True)
            for name in sorted(names):
                src, out = os.path.join(dirpath, name), os.path.join(out_dir, name)
                if name.endswith(".py"):
                    with open(src, encoding="utf-8") as fh:
                        text = fh.read()
                    with open(out, "w", encoding="utf-8") as fh:
                        fh.write(strip_declarations(text))
                    files.append(os.path.relpath(out, dest))
                elif not name.endswith((".toml", ".cfg", ".ini")):
                    shutil.copyfile(src, out)
    return files


def _reason(why: str) -> str:
    """A stop reason without its names and numbers, so that counts group."""
    if " needs constructor arguments " in why:
        return "needs constructor arguments: checked with them as symbols, and where it is built with them"
    why = re.sub(r"`[^`]*`", "`…`", why)
    why = re.sub(r"\([^)]*\)", "(…)", why)
    return re.sub(r"\b\d+\b", "N", why)[:110]


def _kind(rel: str) -> str:
    """`bad` (named *_bad.py: torch fails), `trace` (fixtures/trace/: models that fail on purpose,
    for --trace's tests, not named _bad), else `correct` (torch runs it: an error is a false alarm)."""
    if os.path.basename(rel).endswith("_bad.py"):
        return "bad"
    return "trace" if rel.replace(os.sep, "/").startswith("fixtures/trace/") else "correct"


def main(argv) -> int:
    listing = "--list" in argv
    counts = Counter()
    errors = {"bad": [], "trace": [], "correct": []}
    skipped, stopped = Counter(), Counter()
    listed = []
    with tempfile.TemporaryDirectory() as tmp:
        files = copy_stripped(tmp)
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            settings = Settings(isolated=True)
            for rel in files:
                with open(rel, "rb") as fh:
                    result = lint_source(rel, fh.read(), settings)
                counts["files"] += 1
                kind = _kind(rel)
                with open(os.path.join(ROOT, rel), encoding="utf-8") as fh:
                    marked = {i for i, line in enumerate(fh.read().splitlines(), 1) if "# defect: every input" in line}
                error_lines = {f.line for f in result.findings if f.severity == "error" and f.path == rel}
                error_lines |= {r.range[0] for f in result.findings if f.severity == "error" for r in f.related
                                if r.path == rel and r.range}
                counts["defects marked `every input`"] += len(marked)
                counts["marked defects found"] += len(marked & error_lines)
                listed += [f"missed {rel}:{n}: a `# defect: every input`" for n in sorted(marked - error_lines)]
                for f in result.findings:
                    if f.severity == "error":
                        errors[kind].append(f"{f.path}:{f.line}: {f.code} {f.message}")
                    if f.code == "SHP201" and result.internal_error is None:
                        counts["SHP201 notes"] += 1
                if result.internal_error:
                    counts["internal errors"] += 1
                    listed.append(f"internal error {rel}: {result.internal_error}")
                for m in result.models:
                    counts["models checked"] += 1
                    if m.output is not None and "?" not in str(m.output) and not m.lost:
                        counts["models followed to the end"] += 1
                    else:
                        why = m.lost[0][1] if m.lost else (
                            "output unknown: nothing in the code fixes the input's rank" if m.input is None
                            else "output unknown, with no place recorded where shapes stopped")
                        stopped[_reason(why)] += 1
                        listed.append(f"stopped {rel}::{m.name} input {m.input} output {m.output}: {why}")
                for name, why in result.skipped:
                    skipped[why] += 1
                    listed.append(f"skipped {rel}::{name}: {why}")
        finally:
            os.chdir(cwd)
    print(f"files: {counts['files']}")
    print(f"models checked: {counts['models checked']}")
    print(f"models followed to the end: {counts['models followed to the end']}")
    print(f"errors with nothing declared (hold for every input): {len(errors['bad'])} in *_bad files, "
          f"{len(errors['trace'])} in fixtures/trace/ (failing on purpose), {len(errors['correct'])} in correct files "
          "(false alarms)")
    print(f"defects marked `# defect: every input`: {counts['defects marked `every input`']}, "
          f"found (an error on the line, or relating to it): {counts['marked defects found']}")
    print(f"internal errors: {counts['internal errors']}")
    print(f"classes skipped: {sum(skipped.values())}")
    for why, n in skipped.most_common():
        print(f"  {n:4d}  {why}")
    print(f"models not followed to the end: {sum(stopped.values())}, where they stop:")
    for why, n in stopped.most_common():
        print(f"  {n:4d}  {why}")
    for line in errors["correct"]:
        print(f"FALSE ALARM {line}")
    if listing:
        for line in errors["bad"] + errors["trace"] + listed:
            print(line)
    return 1 if errors["correct"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
