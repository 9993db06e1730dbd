"""`--trace`: the parent (no torch) and the child process that imports torch."""
