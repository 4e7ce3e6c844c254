"""Slot filling: the values a request writes down (:mod:`.mentions`) placed into a tool's parameters, read
from the tool's own JSON schema.

Evidence, strongest first: ``name=value`` (or "kernel size 3"), lists and sizes placed by the words around
them, enum values (and the other names the notes give them: "低秩适配" is ``lora``), numbers placed by the
words around them (units included: "24 GB", "20-layer", "7B"), bounds on a quantity into its budget slot
("at most 5 M params" → ``max_params_millions=5``), booleans named with or without a negation,
names for slots that take names ("VGG16's"), and for a lone free-text slot the rest of the request. A
required slot nothing fills is reported missing — the model asks for it; it never guesses a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.models.offline.budgets import place_budgets
from agents.models.offline.choices import (
    place_booleans,
    place_choices,
    place_explicit,
    place_names,
    place_quoted,
)
from agents.models.offline.context import FillState
from agents.models.offline.distributions import place_distributions
from agents.models.offline.gaussians import place_gaussians
from agents.models.offline.reading import Reading
from agents.models.offline.schema import Slot, ToolView
from agents.models.offline.values import place_lists, place_numbers, place_sizes

__all__ = ["Extraction", "fill"]


@dataclass
class Extraction:
    """What could be read from the request for one tool."""

    arguments: dict[str, Any] = field(default_factory=dict)
    """Filled slots, ready to send as the call's arguments."""
    missing: list[Slot] = field(default_factory=list)
    """Required slots nothing in the request could fill."""
    samples: list[dict[str, Any]] = field(default_factory=list)
    """Further argument sets when the request gives several values for one slot ("entropy of [0.5, 0.5]
    and [0.9, 0.1]"): one call each."""
    used: int = 0
    """How many values of the request (numbers, lists, sizes, names) went into a slot."""
    used_values: int = 0
    """Of those, how many were numbers, lists or sizes (data to compute with, not just a name)."""
    used_lists: int = 0
    """Of those, how many were lists, structures or sizes (the data of a computation, never incidental)."""
    unused: int = 0
    """Lists and sizes of the request no slot took (evidence the tool is not the one meant)."""


def fill(tool: ToolView, reading: Reading) -> Extraction:
    """Read ``tool``'s arguments from ``reading``."""
    state = FillState(tool, reading)
    place_explicit(state)
    place_gaussians(state)
    place_lists(state)
    place_sizes(state)
    place_distributions(state)
    place_choices(state)
    place_budgets(state)
    place_numbers(state)
    place_booleans(state)
    place_names(state)
    place_quoted(state)
    excused = {name for name, flag in tool.conditions if state.found.get(flag) is True}
    missing = [slot for slot in tool.slots if slot.required and slot.name not in {*state.found, *excused}]
    for primary, other in tool.alternatives:  # "params_billion … instead of base": one of the two
        if primary not in state.found and other not in state.found:
            slot = tool.slot(primary)
            if slot is not None:
                missing.append(slot)
    arguments = {slot.name: state.found[slot.name] for slot in tool.slots if slot.name in state.found}
    samples = [{**arguments, name: value} for name, values in state.extra.items() for value in values]
    mentions = reading.mentions
    lists = {item.start for item in mentions.vectors} | {item.start for item in mentions.sizes}
    lists |= {item.start for item in mentions.structures}
    unused = len(lists - state.taken)
    names = {name.start for name in mentions.names}
    return Extraction(
        arguments,
        missing,
        samples,
        len(state.taken),
        len(state.taken - names),
        len(state.taken & lists),
        unused,
    )
