"""A bound the request states, passed to the tool that takes it as a budget.

"at most 5 million params", "参数量小于 5M", "under 2 GMACs" are read by :mod:`.constraints`. A tool whose
schema has a numeric ``max_<quantity>`` slot (``min_<quantity>`` for a lower bound) of the same quantity —
``max_params_millions``, ``max_gmacs`` — gets the bound in the slot's own unit (millions, billions, or the
G of GMACs), so the tool itself lists what fits and draws the budget. Nothing here knows a particular tool:
the quantity and the unit are read from the slot's name.
"""

from __future__ import annotations

from agents.models.offline.constraints import Constraint, match_column, parse_constraints
from agents.models.offline.context import FillState
from agents.models.offline.schema import Slot

__all__ = ["place_budgets"]

_NAME_SCALES = {"thousands": 1e3, "millions": 1e6, "million": 1e6, "billions": 1e9, "billion": 1e9}
"""A unit word in a slot's name: ``max_params_millions`` takes 5 for 5 M."""


def place_budgets(state: FillState) -> None:
    """Fill the open ``max_…``/``min_…`` numeric slots from the request's bounds on their quantity."""
    slots = [
        slot
        for slot in state.open()
        if slot.types & {"number", "integer"} and slot.name.startswith(("max_", "min_"))
    ]
    if not slots:
        return
    for constraint in parse_constraints(state.reading.text):
        for slot in slots:
            if slot.name in state.found or slot.name.startswith("max_") != constraint.upper:
                continue
            value = _in_slot_unit(constraint, slot)
            if value is None or not _allowed(slot, value):
                continue
            typed = int(value) if "integer" in slot.types else value
            state.place(slot, typed, _number_start(state, constraint))
            break


def _in_slot_unit(constraint: Constraint, slot: Slot) -> float | None:
    quantity = slot.name[4:]  # after max_ / min_
    words = [part for part in quantity.split("_") if part not in _NAME_SCALES]
    found = match_column(constraint, ["_".join(words)]) if words else None
    if found is None:
        return None
    _, factor = found  # the slot's values → the bound's units ("gmacs" carries 1e9)
    scale = next((_NAME_SCALES[part] for part in quantity.split("_") if part in _NAME_SCALES), 1.0)
    if constraint.scale == 1.0 and scale > 1.0:
        return constraint.value  # "at most 5 params" to a slot in millions: the user wrote the slot's unit
    value = constraint.value / (factor * scale)
    return round(value, 9)


def _allowed(slot: Slot, value: float) -> bool:
    if slot.minimum is not None and value < slot.minimum:
        return False
    if slot.maximum is not None and value > slot.maximum:
        return False
    return value > 0 or slot.name.startswith("min_")


def _number_start(state: FillState, constraint: Constraint) -> int:
    """Where the bound's number is among the request's mentions (so no other slot takes it), or -1."""
    written = constraint.value / constraint.scale
    for number in state.reading.mentions.numbers:
        if number.start in state.taken or number.value is None:
            continue
        if abs(number.value - written) < 1e-9:
            return number.start
    return -1
