"""The attention-head split of a hand-written attention: `x.view(B, T, n_head, C // n_head)`.

When n_head does not divide the width C, `C // n_head` rounds down, the view holds
n_head * (C // n_head) < C values per position, and torch raises at the view. The
generic view finding (SHP003) would say the sizes do not multiply out; this names the
cause (the head count) and the widths and head counts that work. Only when the view
keeps the leading dims, splits the last one into (h, d) with d == C // h, and C, h, d
are all known (or forced: with nothing declared, `B, T, C = x.shape` into `Linear(36, ...)`
makes C 36 on every input that reaches the view): anything else stays the generic finding
or no finding at all.
"""

from __future__ import annotations

from ..core import rules as R
from ..core.symbolic import substitute
from ..core.values import Tensor


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def head_split(shape, sizes):
    """(C, h, d) when `sizes` splits the last dim C of `shape` into h heads of C // h that do not hold C."""
    if len(shape) < 1 or len(sizes) != len(shape) + 1:
        return None
    width, heads, each = shape[-1], sizes[-2], sizes[-1]
    if not (_int(width) and _int(heads) and _int(each)) or heads <= 0 or width % heads == 0 or each != width // heads:
        return None
    if any(a != b for a, b in zip(shape[:-1], sizes[:-2])):
        return None
    return width, heads, each


def nearest_divisible(width: int, heads: int) -> tuple:
    """The widths next to `width` that `heads` divides (below, above)."""
    below = width - width % heads
    return tuple(w for w in (below, below + heads) if w > 0)


def dividing_heads(width: int, heads: int, n: int = 2) -> list:
    """The head counts that divide `width`, nearest to `heads` first."""
    return sorted((h for h in range(1, width + 1) if width % h == 0), key=lambda h: (abs(h - heads), h))[:n]


def head_split_report(ctx, site, x: Tensor, sizes, op_text, origin) -> bool:
    """Report the split as SHP007 and say so; False when the view is not a head split."""
    # sizes a layer forces (the input's C is qkv's in_features, or torch raises before this view)
    forced = ctx.forced_sizes()
    found = head_split(tuple(substitute(d, forced) for d in x.shape), [substitute(d, forced) for d in sizes])
    rank_guessed = getattr(ctx, "rank_guessed", None)
    if found is None or rank_guessed is None:
        return False
    width, heads, each = found
    widths = " or ".join(str(w) for w in nearest_divisible(width, heads))
    counts = " or ".join(str(h) for h in sorted(dividing_heads(width, heads)))
    f = R.GroupsNotDivisible.finding(
        site.node, module=site.name, layer=op_text, what="the width", value=width, groups_name="the head count", groups=heads,
        hint=(("the width is ",) + origin + ("; ",) if origin != ("",) else ()) + (
            f"{heads} heads of {width} // {heads} = {each} hold {heads * each} of its {width} values, so torch raises "
            f"at this view: use a width of {widths}, or {counts} heads",))
    # q, k and v split by one view each: one defect when the engine sees the sizes read from one place
    f.defect = ("head split", width, heads, each)
    f.rank_guess = rank_guessed()  # held back as the view's SHP003 would be (engine/rank_confirm.py)
    ctx.report(f)
    return True
