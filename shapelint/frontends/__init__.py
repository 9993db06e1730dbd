"""What users run: the CLI and its formats, --fix, the language server and --trace; all call engine.check.lint_source."""
