"""What torch does, as tables and small pure functions (never torch itself): layers, ops, blocks, containers."""
