"""Where reported nodes are: position bookkeeping kept apart from the interpreter.

libcst's positions cost about 2.5x a parse over a whole module, so they are computed
per "unit" (a top-level statement, a method of a top-level class, or a statement of
such a function's body). While it runs, the interpreter notes the unit of each node
a finding may point at (`PositionUnits.note`); the Locator resolves only those units.
"""

from __future__ import annotations

from typing import Any, Dict

import libcst as cst


class PositionUnits:
    """The unit each noted node belongs to, shared by every interpreter of one file."""

    def __init__(self):
        self.node_unit: Dict[int, Any] = {}
        self.unit_of_def: Dict[int, Any] = {}  # functions whose body statements are units
        self.current = None  # the unit running now (None: positions fall back to the whole module)

    def note(self, node) -> None:
        self.node_unit[id(node)] = self.current

    def mark_functions(self, module: cst.Module) -> None:
        """The checked file's functions and methods: their body statements are units too."""
        for stmt in module.body:
            if isinstance(stmt, cst.FunctionDef) and isinstance(stmt.body, cst.IndentedBlock):
                self.unit_of_def[id(stmt)] = stmt
            elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
                for member in stmt.body.body:
                    if isinstance(member, cst.FunctionDef) and isinstance(member.body, cst.IndentedBlock):
                        self.unit_of_def[id(member)] = member

    def statements_are_units(self, fn: cst.FunctionDef) -> bool:
        return id(fn) in self.unit_of_def
