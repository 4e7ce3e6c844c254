"""Understanding a user message: the stages in order, ending in a :class:`Plan` (tool calls, or text).

    state (dialogue) → intent (cues) → retrieval (tools and notes) → slot filling → plan

Each stage lives in its own module and is tested on its own; this one only runs them and decides between
what they found: a follow-up reuses the previous call with what changed; a question about an idea goes to the
notes (one note, or two for a comparison); a request for a number goes to the tool that can compute it from
what the request gives, several calls when it lists several values; a missing value is asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agents.models.offline import replies
from agents.models.offline.catalogue import named_tools
from agents.models.offline.fanout import MAX_CALLS, companion_tools, fan_out
from agents.models.offline.intent import Intent, Message, asks_about_idea, classify
from agents.models.offline.language import norm, words
from agents.models.offline.mentions import STEM
from agents.models.offline.notes import NoteHit, note_index
from agents.models.offline.phrases import all_phrases, phrases_for
from agents.models.offline.reading import Reading, enum_words, known_names, read
from agents.models.offline.retrieval import MIN_SCORE, Choice, rank_tools
from agents.models.offline.schema import ToolView
from agents.models.offline.scope import read_scope
from agents.models.offline.slots import Extraction, fill
from agents.models.offline.state import ASK_USER, DialogueState, read_state
from agents.models.offline.variants import variant
from agents.models.offline.vocabulary import with_english

__all__ = ["Plan", "notes_tool", "plan"]

_NOTE_SCORE = 7.0
"""A note matching below this, neither named nor sharing a word with its names or title, is not a confident
answer to a question."""
_MAX_NOTES = 3


@dataclass(frozen=True)
class Plan:
    """What to answer: tool calls, or text."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    text: str | None = None


def notes_tool(views: list[ToolView]) -> ToolView | None:
    """The offered tool that explains a topic from the notes (a required free-text ``topic`` slot)."""
    for view in views:
        slot = view.slot("topic")
        if slot is not None and slot.required and "string" in slot.types and not slot.enum:
            return view
    return None


def plan(state: DialogueState, views: list[ToolView]) -> Plan:
    """The plan for the newest user message of ``state``."""
    callable_views = [view for view in views if view.name != ASK_USER]
    table = phrases_for(state.language)
    message = classify(state)
    # "what's my name?" after a question this model asked is a new turn of the conversation, not the answer
    if state.pending is not None and message.intent is Intent.REQUEST:
        merged = _answer_to_question(state, views)
        if merged is not None:
            return merged
    match message.intent:
        case Intent.SMALL_TALK:
            return Plan(text=replies.greeting(table, callable_views, name=state.name, text=state.request))
        case Intent.CAPABILITIES:
            count = len(note_index().notes)
            return Plan(text=replies.capabilities(table, callable_views, notes=count))
        case Intent.INTRODUCTION:
            return Plan(
                text=replies.introduction(
                    table, callable_views, name=state.name, preferences=state.preferences
                )
            )
        case Intent.REMEMBER | Intent.RECALL | Intent.FORGET:
            return _memory(state, message, views)
    return _request(state, message, views)


# ------------------------------------------------------------------------------------------ memory


def _memory(state: DialogueState, message: Message, views: list[ToolView]) -> Plan:
    table = phrases_for(state.language)
    offered = {view.name for view in views}
    if message.intent is Intent.REMEMBER:
        if "remember" not in offered:
            return Plan(text=replies.cannot(table, views))
        fact = message.detail
        # a preference this model applies (a unit, a language) is kept as one, to be recalled every turn
        kind = "preference" if read_state([{"role": "user", "content": fact}]).preferences else "fact"
        tags = ["user"] if re.search(r"\b(?:i|my|me|i'm|mine)\b|我", fact, re.IGNORECASE) else []
        return Plan(calls=[("remember", {"text": fact, "kind": kind, "tags": tags})])
    if message.intent is Intent.FORGET:
        if "forget" not in offered:
            return Plan(text=replies.cannot(table, views))
        return Plan(calls=[("forget", {"id": int(message.detail)})])
    asks_name = any(t.cue("name_question", state.request) for t in all_phrases())
    if asks_name and state.name:
        return Plan(text=table.name_known.format(name=state.name))
    if "recall" not in offered:
        return Plan(text=table.name_unknown if asks_name else replies.cannot(table, views))
    if asks_name:
        query = "name"
    elif message.detail:
        query = re.sub(r"[?？。.!！吗呢]+$", "", message.detail).strip() or message.detail
    else:
        query = "user name prefer"
    return Plan(calls=[("recall", {"query": query})])


# ------------------------------------------------------------------------------------------ requests


@dataclass
class _Candidate:
    choice: Choice
    extraction: Extraction

    @property
    def computable(self) -> bool:
        return not self.extraction.missing

    @property
    def specific(self) -> bool:
        """The request gave this tool something to work on: a value, at least two choices, or — for a tool
        that needs nothing — one choice and a word of what it computes ("which optimizer for a GAN")."""
        extraction = self.extraction
        if extraction.used > 0 or len(extraction.arguments) >= 2:
            return True
        if any(_preset(slot) and slot.name in extraction.arguments for slot in self.choice.tool.slots):
            return True  # a named preset ("llama-2-7b", "a100") is a thing to compute for
        needs_nothing = not any(slot.required for slot in self.choice.tool.slots)
        return needs_nothing and bool(extraction.arguments) and _asks_for_quantity(self.choice)


def _request(state: DialogueState, message: Message, views: list[ToolView]) -> Plan:
    table = phrases_for(state.language)
    reading = read(state.request, known_names(views), enum_words(views))
    callable_views = [view for view in views if view.name not in (ASK_USER, "remember", "recall", "forget")]
    delegated = _delegate(state, message, callable_views)
    if delegated is not None:
        return delegated
    follow = _follow_up(state, reading, callable_views, message)
    if follow is not None:
        return follow
    if not message.cues.follow_up and read_scope(state.request, callable_views).outside:
        return Plan(text=replies.cannot(table, callable_views))  # a train ticket, a joke: not the field
    explainer = notes_tool(callable_views)
    tools = [view for view in callable_views if view is not explainer]
    ranked = rank_tools(reading, tools)
    candidates = [_Candidate(choice, fill(choice.tool, reading)) for choice in ranked[:4]]
    candidates = [c for c in candidates if c.choice.score >= MIN_SCORE]
    for candidate in candidates:
        _apply_preferences(candidate, state)
        _from_previous_turn(candidate, state)
    top = candidates[0] if candidates else None
    best = _best(candidates)
    hits = note_index().search(with_english(state.request), limit=_MAX_NOTES)
    note = hits[0] if hits else None
    cues = message.cues
    # Notes answer an idea when a tool explains them, or (no tool offered for it) when no tool matches.
    # A note answers when the question names it or shares a word with its names or title ("dropout",
    # "attention"), not when it only shares words with its text ("who won the world cup?").
    relevant = note is not None and (note.named or note.strong or note.score >= _NOTE_SCORE)
    can_explain = relevant and (explainer is not None or top is None)
    named = [n for _, n in note_index().named(state.request)]
    # "Why does DenseNet need fewer parameters?": a reason asked about an idea the question names is an
    # idea, though it mentions a quantity.
    reason = cues.explanatory and bool(named) and can_explain
    demands = any(t.cue("demand", state.request) for t in all_phrases())
    # a question ("what's a good …", "…一般设多少"), not an order ("Compare optimizers on rosenbrock")
    question = (cues.concept or cues.quantity) and not cues.comparison
    if best is not None and can_explain and named and question and not demands and _idle_experiment(best):
        return _explain(state, hits, explainer, message)  # "adam 学习率一般设多少", "a good lr for adam"
    # "tips for training a GAN", "why does 4-bit decode faster": a question the best tool could only answer by
    # asking for what it needs, about an idea a note holds; or "AlexNet 的参数在哪些层", which asks for parts
    runnable = best is not None and best.specific
    stuck = not runnable and top is not None and not top.computable
    empty = stuck and not top.extraction.arguments and not top.extraction.used  # type: ignore[union-attr]
    idle = (empty and (cues.concept or not cues.quantity)) or (stuck and cues.explanatory and bool(named))
    parts = (
        best is not None
        and "architecture" in cues.hints
        and not (cues.quantity or best.extraction.used_lists)
    )
    if can_explain and not demands and asks_about_idea(cues, state.request) and (idle or (parts and named)):
        return _explain(state, hits, explainer, message)
    if best is not None:
        quantity_words = _asks_for_quantity(best.choice) and not reason
        # Lists and sizes are data to compute with; a lone number ("a 7B model") may be incidental to an
        # idea the question names ("Which PEFT method should I use for a 7B model?").
        has_data = best.extraction.used_lists > 0 or (best.extraction.used_values > 0 and not named)
        asks = quantity_words or (cues.quantity and not reason)
        # two checkpoints side by side ("densenet121 和 resnet50 哪个参数少") are models to count, not ideas —
        # unless the tools know not all of them and a note does ("what did GPT-3 show that GPT-2 didn't?")
        checkpoints = _checkpoints(best)
        zoo = all(_known(name, known_names(views)) for name in checkpoints) or not named
        has_data = has_data or (len(checkpoints) >= 2 and not reason and zoo)
        if best.specific and (has_data or asks or not cues.concept):
            return _calls(best, reading, ranked)
        if not cues.concept and (quantity_words or not can_explain) and not named:
            return _calls(best, reading, ranked)
    numeric = top is not None and (cues.quantity or _asks_for_quantity(top.choice))
    if can_explain and len(named) >= 2 and cues.comparison and not numeric:
        return _explain(state, hits, explainer, message)  # "prefix tuning versus prompt tuning"
    if top is not None and not top.computable:
        # "QLoRA 是怎么省显存的？": an idea the question names, with no value for the tool to work on —
        # unless the user asks to run it ("can you compute a cross entropy for me?").
        nameless = any(slot.wants_names for slot in top.extraction.missing)  # numbers, but no model named
        idea = bool(named) and can_explain and not demands
        # "flops vs macs?": two ideas side by side, not a model to count
        idea = idea and (
            (cues.concept and (not numeric or top.extraction.used == 0)) or (cues.comparison and nameless)
        )
        if (top.specific and not idea) or (numeric and not cues.concept and not idea) or demands:
            return _ask(table, top.choice.tool, top.extraction, views)
    if can_explain and note is not None and (cues.concept or note.named):
        return _explain(state, hits, explainer, message)
    if top is not None and not top.computable and not cues.concept:
        return _ask(table, top.choice.tool, top.extraction, views)
    if best is not None:
        return _calls(best, reading, ranked)
    if can_explain and note is not None and (note.named or note.score >= _NOTE_SCORE):
        return _explain(state, hits, explainer, message)
    if top is not None and not top.computable:
        return _ask(table, top.choice.tool, top.extraction, views)
    return Plan(text=replies.cannot(table, callable_views))


def _known(name: str, known: frozenset[str]) -> bool:
    """A model name the tools' descriptions list, or one of a family they list ("resnet50": ``~resnet``)."""
    family = re.match(r"[a-z]+", name.lower())
    stem = family.group() if family else norm(name)
    return norm(name) in known or stem in known or STEM + stem in known


def _checkpoints(candidate: _Candidate) -> list[str]:
    """The versioned model names ("resnet50", "ViT-B/16", not "DenseNet") the candidate's name slots took,
    each fanned-out name too."""
    names: list[str] = []
    for slot in candidate.choice.tool.slots:
        value = candidate.extraction.arguments.get(slot.name)
        if slot.wants_names:
            names += value if isinstance(value, list) else [value] if isinstance(value, str) else []
    return [name for name in names if isinstance(name, str) and any(c.isdigit() for c in name)]


def _idle_experiment(candidate: _Candidate) -> bool:
    """A tool that runs an experiment ("Run one optimizer at several learning rates"), given no value and at
    most one choice to run it with: a question the notes answer (a typical learning rate), not a request to
    run it — unless the user asks to run it (a demand cue)."""
    extraction = candidate.extraction
    choices = sum(len(value) if isinstance(value, list) else 1 for value in extraction.arguments.values())
    experiment = re.match(r"\s*run\b", candidate.choice.tool.description, re.IGNORECASE) is not None
    return experiment and extraction.used_values == 0 and choices <= 1


def _preset(slot: Any) -> bool:
    """A slot that takes a preset name or the description of one (a model, a GPU)."""
    return bool(slot.enum) and "object" in slot.types


def _asks_for_quantity(choice: Choice) -> bool:
    """The request names what the tool computes: a word of the head of its description's first line
    ("parameters", "FLOPs", "entropy", "GPU memory"), not merely what it is about ("convolution")."""
    return bool(choice.triggers & choice.tool.head_words)


_REFERENCE = re.compile(r"\b(?:it|its|this|that|these|those|them|they)\b|它|这个|那个|这种|其", re.IGNORECASE)


def _from_previous_turn(candidate: _Candidate, state: DialogueState) -> None:
    """ "What is LoRA?" then "How many parameters does it train on llama-7b?": a choice the message refers
    back to ("it") is read from the previous message."""
    extraction = candidate.extraction
    if not extraction.missing or not state.history or not _REFERENCE.search(state.request):
        return
    earlier = fill(candidate.choice.tool, read(state.history[-1]))
    for slot in list(extraction.missing):
        if slot.enum and slot.name in earlier.arguments:
            extraction.arguments[slot.name] = earlier.arguments[slot.name]
            extraction.missing.remove(slot)


def _apply_preferences(candidate: _Candidate, state: DialogueState) -> None:
    """A unit the user prefers fills the slot whose description ties that word to a value ("bits" → base
    2), when the request does not choose it."""
    unit = state.preferences.get("unit")
    if not unit:
        return
    from agents.models.offline.language import fold

    for slot in candidate.choice.tool.slots:
        value = slot.synonyms.get(fold(unit))
        if value is not None and slot.name not in candidate.extraction.arguments:
            candidate.extraction.arguments[slot.name] = value


def _best(candidates: list[_Candidate]) -> _Candidate | None:
    """The candidate to call: computable ones only; among close scores, the one that used the request's
    values (and left none unused)."""
    computable = [c for c in candidates if c.computable]
    if not computable:
        return None
    top = computable[0].choice.score
    close = [c for c in computable if c.choice.score >= 0.6 * top]

    def quality(candidate: _Candidate) -> tuple[int, int, int, int, int, float]:
        extraction = candidate.extraction
        lonely = any(
            slot.wants_names and "array" in slot.types and len(extraction.arguments.get(slot.name) or ()) == 1
            for slot in candidate.choice.tool.slots
        )  # one name in a list slot: a tool that takes one name fits better
        return (
            int(extraction.unused == 0 and extraction.used > 0),
            # of two about as likely tools, the one that computes what is asked ("latency")
            int(_asks_for_quantity(candidate.choice) and candidate.choice.score >= 0.85 * top),
            extraction.used,
            # a tool the request names choices for ("sgd, adam on rosenbrock") over one it gives nothing
            int(bool(extraction.arguments)),
            -int(lonely),
            candidate.choice.score,
        )

    chosen = max(close, key=quality)
    first = candidates[0]
    if (
        first is not chosen
        and not first.computable
        and first.choice.score > 1.5 * chosen.choice.score
        and chosen.extraction.used == 0
    ):
        return None  # the clearly meant tool lacks a value: ask for it rather than run another
    return chosen


def _calls(best: _Candidate, reading: Reading, ranked: list[Choice]) -> Plan:
    tool = best.choice.tool
    extraction = best.extraction
    calls = [
        (tool.name, arguments)
        for arguments in fan_out(tool, reading.work, extraction.arguments, reading=reading)
    ]
    calls += [(tool.name, sample) for sample in extraction.samples]
    order = [best.choice, *[choice for choice in ranked if choice is not best.choice]]
    for companion, companion_extraction, _ in companion_tools(reading, order):
        calls += [
            (companion.name, arguments)
            for arguments in fan_out(companion, reading.work, companion_extraction.arguments)
        ]
    return Plan(calls=calls[:MAX_CALLS])


def _ask(table: Any, tool: ToolView, extraction: Extraction, views: list[ToolView]) -> Plan:
    text = replies.question(table, tool, extraction.missing)
    if any(view.name == ASK_USER for view in views):
        return Plan(calls=[(ASK_USER, {"question": text})])
    return Plan(text=text)


def _explain(state: DialogueState, hits: list[NoteHit], explainer: ToolView | None, message: Message) -> Plan:
    """The note the question names (else the best match), or every note a comparison names ("BLIP vs
    CLIP")."""
    named = [note for _, note in note_index().named(state.request)]
    chosen = [note_index().subject(state.request, translate=with_english) or hits[0].note]
    if len(named) >= 2 and message.cues.comparison:
        chosen = named[:_MAX_NOTES]
    if explainer is None:
        from agents.models.offline.notes_answers import answer_from_notes

        return Plan(text=answer_from_notes(chosen, state.request, state.language, message.cues.hints))
    return Plan(calls=[(explainer.name, {"topic": note.slug}) for note in chosen])


def _delegate(state: DialogueState, message: Message, views: list[ToolView]) -> Plan | None:
    """Delegation tools (a coordinator's ``ask_<skill>``: one free-text ``request``) route by the catalogue
    tools their descriptions name: the request is planned against those tools, and goes to the delegation
    tool naming the one the plan would call. The message is forwarded as written."""
    routes = []
    for view in views:
        slot = view.slot("request")
        if slot is not None and "string" in slot.types and not any(s.required for s in view.slots):
            routes.append((view, named_tools(view.description)))
    if not routes:
        return None
    inner = [tool for _, tools in routes for tool in tools]
    target = _request(state, message, list({tool.name: tool for tool in inner}.values())) if inner else Plan()
    wanted = {name for name, _ in target.calls}
    if (target.calls and target.calls[0][0] == ASK_USER) or not wanted:
        wanted = {_asked_tool(target)} if target.calls or target.text else set()
    for view, tools in routes:
        if wanted & {tool.name for tool in tools}:
            return Plan(calls=[(view.name, {})])
    reading = read(state.request, known_names(views))
    ranked = rank_tools(reading, [view for view, _ in routes])
    if ranked and ranked[0].score >= MIN_SCORE:
        return Plan(calls=[(ranked[0].tool.name, {})])
    return None


def _asked_tool(target: Plan) -> str:
    """The tool a plan asks arguments for ("To run `diagnose_training` I need …")."""
    text = target.text or (str(target.calls[0][1].get("question", "")) if target.calls else "")
    match = re.search(r"`([a-z][a-z0-9_]*)`", text)
    return match.group(1) if match else ""


# ------------------------------------------------------------------------------------------ dialogue


def _answer_to_question(state: DialogueState, views: list[ToolView]) -> Plan | None:
    """The user answers the question this model asked: the original request and the answer, read as one."""
    assert state.pending is not None
    tool = next((view for view in views if view.name == state.pending.tool), None)
    if tool is None:
        return None
    known, reserved = known_names(views), enum_words(views)
    answer = read(state.request, known, reserved)
    others = [view for view in views if view.name not in (ASK_USER, tool.name)]
    ranked = rank_tools(answer, others)
    if ranked and ranked[0].score >= MIN_SCORE + 2 and not fill(ranked[0].tool, answer).missing:
        return None  # the user moved on to another request
    merged = read(f"{state.pending.request}\n{state.request}", known, reserved)
    extraction = fill(tool, merged)
    table = phrases_for(state.language)
    if extraction.missing:
        return _ask(table, tool, extraction, views)
    return Plan(
        calls=[(tool.name, arguments) for arguments in fan_out(tool, merged.work, extraction.arguments)]
    )


def _follow_up(
    state: DialogueState, reading: Reading, views: list[ToolView], message: Message
) -> Plan | None:
    """ "now in bits", "and for q=[0.9, 0.1]?", "what about resnet34?", "那 QLoRA 呢?": the previous turn's
    calls again, with what this message changes."""
    if not state.last_calls:
        return None
    short = len(words(reading.work)) <= 8 or len(state.request) <= 40
    if not (message.cues.follow_up or short):
        return None
    by_name = {view.name: view for view in views}
    explainer = notes_tool(views)
    calls: list[tuple[str, dict[str, Any]]] = []
    for past in state.last_calls:
        tool = by_name.get(past.name)
        if tool is None:
            continue
        if tool is explainer:
            named = [note.slug for _, note in note_index().named(state.request)]
            calls += [(tool.name, {"topic": slug}) for slug in named if slug != past.arguments.get("topic")]
            continue
        extraction = fill(tool, reading)
        changes = {k: v for k, v in extraction.arguments.items() if past.arguments.get(k) != v}
        changes = changes or variant(tool, past.arguments, state.request)
        if changes:
            calls.append((tool.name, {**past.arguments, **changes}))
    if not calls:
        return None
    # A message that is a complete request for another tool is a new request, not a follow-up.
    ranked = rank_tools(reading, [view for view in views if view.name not in {name for name, _ in calls}])
    if ranked and ranked[0].score > MIN_SCORE + 4 and not message.cues.follow_up:
        other = fill(ranked[0].tool, reading)
        if not other.missing and other.used:
            return None
    unique = {repr(sorted(arguments.items())) + name: (name, arguments) for name, arguments in calls}
    return Plan(calls=list(unique.values())[:MAX_CALLS])
