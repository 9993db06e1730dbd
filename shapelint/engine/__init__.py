"""The static engine: the interpreter, its typed contexts, checking every model, and the seam (check.lint_source)."""
