"""The rule of hand-written configuration guards (issue 11.5): `if cond: raise ValueError(...)`.

Registered by `core.rules`, which imports this module after the sequence rules.
"""

from __future__ import annotations

from .rule_base import _HEAD, Rule, rule


@rule
class GuardRaises(Rule):
    code = "SHP019"
    name = "guard-raises"
    message = "`if {test}: raise {error}` is reached{values}: Python raises {error}{hint}"
    summary = "A configuration guard (`if hidden_size % num_heads != 0: raise ValueError(...)`) whose condition holds."
    why = (
        "Transformer code checks its configuration by hand instead of with `assert` (BERT's \"The hidden size is not a "
        "multiple of the number of attention heads\"); a condition that holds for these values raises when the model is "
        "built or called. Reported only when the condition is decided on known values and the guard is not inside a "
        "`try` that catches the error."
    )
    fix = "Change the value the message names so that the condition no longer holds."
    VALID = [
        _HEAD + "class SelfAttention(nn.Module):  # shapelint: input=(2, 16, 96)\n"
        "    def __init__(self, hidden_size=96, num_heads=12):\n        super().__init__()\n"
        "        if hidden_size % num_heads != 0:\n"
        "            raise ValueError(f'{hidden_size} is not a multiple of {num_heads}')\n"
        "        self.qkv = nn.Linear(hidden_size, 3 * hidden_size)\n\n"
        "    def forward(self, x):\n        return self.qkv(x)\n"
    ]
    INVALID = [
        _HEAD + "class SelfAttention(nn.Module):  # shapelint: input=(2, 16, 100)\n"
        "    def __init__(self, hidden_size=100, num_heads=12):\n        super().__init__()\n"
        "        if hidden_size % num_heads != 0:\n"
        "            raise ValueError(f'{hidden_size} is not a multiple of {num_heads}')\n"
        "        self.qkv = nn.Linear(hidden_size, 3 * hidden_size)\n\n"
        "    def forward(self, x):\n        return self.qkv(x)\n",
    ]
