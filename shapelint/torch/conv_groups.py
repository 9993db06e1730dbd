"""Which argument of a grouped convolution is wrong when the groups do not divide the channels.

torch raises at construction unless groups divides both in_channels and out_channels. When
groups equals one of the two and the other is not a multiple of it (`Conv2d(8, 48, 3,
groups=48)`: a depthwise conv, one group per channel, given the block's input width), the
odd channel count is the wrong argument: the finding is at it, says the value that fixes it
(the groups), and relates the groups argument. Otherwise nothing says which number is wrong,
and the finding stays at `groups`, advising groups that divide both.
"""

from __future__ import annotations

from ..core import rules as R
from ..core.findings import Related, code_of
from ..core.symbolic import is_known


def _written(m, param):
    """Where the layer's `param` was written: the call's argument that passed it, else the layer's own."""
    site = (getattr(m, "call_args", None) or {}).get(param)
    return site.node if site is not None else m.param_node(param)


def groups_finding(m):
    """SHP007 for a conv whose groups do not divide its channels; None when they do."""
    p = m.params
    groups = p.get("groups", 1)
    fin, fout = p.get("in_channels"), p.get("out_channels")
    if not (is_known(groups) and groups > 0):
        return None
    bad = [w for w in ("in_channels", "out_channels") if is_known(p.get(w)) and p.get(w) % groups]
    if not bad:
        return None
    what, other = bad[0], "out_channels" if bad[0] == "in_channels" else "in_channels"
    if len(bad) == 1 and p.get(other) == groups and what in m.param_nodes:
        where = _written(m, "groups")
        f = R.GroupsNotDivisible.finding(
            m.param_node(what), module=m.name, layer=m.label(), what=what, value=p.get(what), groups_name="groups",
            groups=groups,
            hint=f"groups equals {other} ({groups}), one group per channel: {what} must be a multiple of {groups}; "
                 f"pass `{code_of(where)}` as for groups",
        )
        f.related.append(Related(f"groups={groups} is set here, equal to {other}", where))
        return f
    return R.GroupsNotDivisible.finding(
        m.param_node("groups"), module=m.name, layer=m.label(), what=what, value=p.get(what), groups_name="groups",
        groups=groups, hint=f"use groups that divide {fin} and {fout}",
    )
