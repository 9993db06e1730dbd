"""Which element of a parameter a loop variable holds, for engine/callsite.py.

`nn.ModuleList([nn.Conv2d(c, out, 1) for c in in_channels_list])` in an FPN built as
`FeaturePyramid([32, 48, 48], 24)`: when the third conv's in_channels is wrong, the mistake is the
third element of that list literal, not the shared conv line. While a `for name in <parameter>`
loop (a statement or a comprehension) runs in a user function, the index it is at is kept here,
keyed by the running call; callsite.trace then follows the loop variable to that element of the
call's list or tuple literal. Only for certain: the parameter is not rebound, still holds the very
list the call passed, the literal is written element by element, and the element read equals the
loop variable's value at the layer."""

from __future__ import annotations

from typing import Optional, Tuple

import libcst as cst


def _enumerated(target, iter_node, index, item):
    """`for i, c in enumerate(chans)`: (c's target, chans, c's value); else the loop as it is."""
    plain_call = (isinstance(iter_node, cst.Call) and isinstance(iter_node.func, cst.Name) and iter_node.func.value == "enumerate"
                  and len(iter_node.args) == 1 and iter_node.args[0].keyword is None and not iter_node.args[0].star)
    pair = (isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2
            and all(isinstance(e, cst.Element) for e in target.elements))
    if plain_call and pair and isinstance(item, tuple) and len(item) == 2 and item[0] == index:
        return target.elements[1].value, iter_node.args[0].value, item[1]
    return target, iter_node, item


def enter(vm, target, iter_node, index: int, item) -> Optional[tuple]:
    """Note that loop variable `target` holds element `index` of the parameter `iter_node` names
    (directly, or through `enumerate`); returns what to give back to `leave` (None: nothing noted)."""
    target, iter_node, item = _enumerated(target, iter_node, index, item)
    if not (isinstance(target, cst.Name) and isinstance(iter_node, cst.Name) and vm.call_stack):
        return None
    b = vm.call_stack[-1]
    if iter_node.value not in b.args:
        return None
    table = vm.loop_elements
    key = (id(b), target.value)
    previous = table.get(key)
    table[key] = (b, iter_node.value, index, item)
    return key, previous


def leave(vm, token) -> None:
    if token is None:
        return
    key, previous = token
    if previous is None:
        vm.loop_elements.pop(key, None)
    else:
        vm.loop_elements[key] = previous


def element_argument(vm, b, name: str, value, same, unchanged) -> Optional[Tuple[cst.CSTNode, object]]:
    """(the element's expression in the call, its value) for loop variable `name` of call `b`
    holding `value`; None when the source does not say for certain."""
    noted = vm.loop_elements.get((id(b), name))
    if noted is None or noted[0] is not b:
        return None
    _, param, index, item = noted
    bound = b.args.get(param)
    if bound is None or not same(item, value) or not unchanged(vm, b, param):
        return None
    expr, passed = bound
    if b.frame.locals.get(param) is not passed or not isinstance(passed, (list, tuple)):
        return None
    if not isinstance(expr, (cst.List, cst.Tuple)) or len(expr.elements) != len(passed):
        return None
    if any(not isinstance(e, cst.Element) for e in expr.elements) or not same(passed[index], value):
        return None
    element = expr.elements[index].value
    if isinstance(element, cst.Integer) and element.evaluated_value != value:
        return None  # the list was changed in place since the call (`chans[2] = 64`)
    return element, value
