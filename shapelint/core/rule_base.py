"""The base of every rule: a stable code, a message format, docs and examples; the registry."""

from __future__ import annotations

import string
from typing import Dict, List, Tuple, Type

from .findings import At, Code, Finding

_formatter = string.Formatter()


class Rule:
    code: str = ""
    name: str = ""
    severity: str = "error"
    suppressible: bool = True  # a `# noqa` comment may silence it (selection applies to every rule)
    message: str = ""
    summary: str = ""
    why: str = ""
    fix: str = ""
    VALID: List[str] = []
    INVALID: List[str] = []

    @classmethod
    def parts(cls, **fields) -> Tuple:
        out = []
        for literal, field_name, spec, _conv in _formatter.parse(cls.message):
            if literal:
                out.append(literal)
            if field_name is not None:
                value = fields[field_name]
                if isinstance(value, tuple):  # several parts, e.g. ("conv1 out_channels=16, ", At(node))
                    out.extend(value)
                else:
                    out.append(value if isinstance(value, (At, Code)) else format(value, spec or ""))
        return tuple(out)

    @classmethod
    def finding(cls, node, fix: str = None, edits=None, module: str = None, **fields) -> Finding:
        return Finding(
            code=cls.code,
            severity=cls.severity,
            parts=cls.parts(**fields),
            node=node,
            fix=fix,
            edits=list(edits or []),
            module=module,
        )


REGISTRY: Dict[str, Type[Rule]] = {}


def rule(cls: Type[Rule]) -> Type[Rule]:
    REGISTRY[cls.code] = cls
    return cls


_HEAD = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n"
