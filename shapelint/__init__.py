"""shapelint: a static architecture linter and tensor-shape checker for PyTorch models."""

__version__ = "0.1.0"
