"""The built-in offline model: deterministic, read from the offered tool specs and the project's notes.

Given the messages and offered tools of one chat-completions request it either

- understands the newest user message (:mod:`.understanding`: dialogue state → intent → retrieval → slot
  filling) and answers with tool calls or a short text (small talk, a question for a missing value, what it
  can do), or
- writes the answer from the tool results that just arrived (:mod:`.answers`, :mod:`.notes_answers`,
  :mod:`.memory_answers`), in the user's language, leading with what was asked — or makes the one call a
  result points to ("unknown topic …; closest: qlora" → explain qlora).

``tool_choice`` is honoured: ``"none"`` answers in text, ``"required"`` always calls a tool, and a named
function is called (with what the request gives for its arguments).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from agents.models.offline.answers import render_result, render_results
from agents.models.offline.language import prepare
from agents.models.offline.memory_answers import memory_answer
from agents.models.offline.notes import note_index
from agents.models.offline.notes_answers import answer_from_notes
from agents.models.offline.phrases import phrases_for
from agents.models.offline.reading import known_names, read
from agents.models.offline.retrieval import rank_tools
from agents.models.offline.schema import ToolView
from agents.models.offline.slots import fill
from agents.models.offline.state import ASK_USER, MEMORY_TOOLS, call_arguments, content_of, read_state
from agents.models.offline.understanding import notes_tool, plan

__all__ = ["OfflineBrain", "OfflineReply"]

_CLOSEST = re.compile(r"unknown topic .*?closest: ([a-z0-9\-]+)", re.IGNORECASE)


@dataclass(frozen=True)
class OfflineReply:
    """What the offline model answers: text, or tool calls (name and arguments)."""

    text: str | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class OfflineBrain:
    """Stateless: every answer is a pure function of the messages and tools of the request (tool views are
    cached by spec)."""

    def __init__(self) -> None:
        self._views: dict[str, ToolView] = {}
        self._by_object: dict[int, tuple[dict[str, Any], ToolView]] = {}

    def _view(self, spec: dict[str, Any]) -> ToolView:
        # An agent offers the same spec objects every request: look them up by identity first (the spec is
        # kept with its view, so its id cannot be reused while cached), by content otherwise.
        known = self._by_object.get(id(spec))
        if known is not None and known[0] is spec:
            return known[1]
        key = json.dumps(spec, sort_keys=True, ensure_ascii=False)
        view = self._views.get(key)
        if view is None:
            if len(self._views) > 512:
                self._views.clear()
                self._by_object.clear()
            view = self._views[key] = ToolView.from_spec(spec)
        self._by_object[id(spec)] = (spec, view)
        return view

    def respond(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], *, tool_choice: Any = None
    ) -> OfflineReply:
        views = [self._view(spec) for spec in tools if spec.get("type", "function") == "function"]
        if tool_choice == "none":
            views = []
        forced = _forced_name(tool_choice)
        if forced is not None:
            views = [view for view in views if view.name == forced] or views
        if not messages:
            messages = [{"role": "user", "content": ""}]
        last = messages[-1]
        if last.get("role") == "tool":
            reply = self._after_tools(messages, views)
        elif last.get("role") == "user":
            made = plan(read_state(messages), views)
            reply = OfflineReply(text=made.text, tool_calls=made.calls)
        else:
            reply = OfflineReply(text="(nothing to answer)")
        if (forced is not None or tool_choice == "required") and not reply.tool_calls and views:
            reply = self._forced_call(messages, views)
        return reply

    # ------------------------------------------------------------------------------------------ tool choice

    def _forced_call(self, messages: list[dict[str, Any]], views: list[ToolView]) -> OfflineReply:
        """A call the caller demands: the best-matching offered tool with what the request gives."""
        text = next((prepare(content_of(m)) for m in reversed(messages) if m.get("role") == "user"), "")
        reading = read(text, known_names(views))
        explainer = notes_tool(views)
        if explainer is not None and len(views) == 1:
            hits = note_index().search(text, limit=1)
            topic = hits[0].note.slug if hits else (text.strip() or "protocols")
            return OfflineReply(tool_calls=[(explainer.name, {"topic": topic})])
        ranked = rank_tools(reading, views)
        tool = ranked[0].tool if ranked else views[0]
        return OfflineReply(tool_calls=[(tool.name, fill(tool, reading).arguments)])

    # ------------------------------------------------------------------------------------------ results

    def _after_tools(self, messages: list[dict[str, Any]], views: list[ToolView]) -> OfflineReply:
        results: list[dict[str, Any]] = []
        index = len(messages) - 1
        while index >= 0 and messages[index].get("role") == "tool":
            results.insert(0, messages[index])
            index -= 1
        assistant = messages[index] if index >= 0 else {}
        calls = {call.get("id"): call.get("function", {}) for call in assistant.get("tool_calls") or ()}
        asked = max((i for i in range(index) if messages[i].get("role") == "user"), default=-1)
        state = read_state(messages[: asked + 1] if asked >= 0 else [{"role": "user", "content": ""}])
        request, language = state.request, state.language
        table = phrases_for(language)
        explainer = notes_tool(views)
        parameters = {view.name: [slot.name for slot in view.slots] for view in views}
        done: list[tuple[str, dict[str, Any], str]] = []
        notes, texts, follow = [], [], []
        for result in results:
            function = calls.get(result.get("tool_call_id"), {})
            name = str(function.get("name", "tool"))
            content = content_of(result)
            arguments = call_arguments(function)
            if name == ASK_USER:
                answer = _ask_user_answer(content)
                if answer is not None:
                    merged = plan(read_state([*messages, {"role": "user", "content": answer}]), views)
                    if merged.calls or merged.text:
                        return OfflineReply(text=merged.text, tool_calls=merged.calls)
                continue
            if name in MEMORY_TOOLS:
                texts.append(memory_answer(name, arguments, content, table))
                continue
            closest = _CLOSEST.search(content) if content.startswith("Error:") else None
            if closest and explainer is not None and name == explainer.name:
                follow.append((name, {**arguments, "topic": closest.group(1)}))
                continue
            note = _note_of(content) if explainer is not None and name == explainer.name else None
            if note is not None:
                notes.append(note)
                continue
            done.append((name, arguments, content))
        if follow:
            return OfflineReply(tool_calls=follow)
        parts = list(texts)
        if notes:
            parts.append(answer_from_notes(notes, request, language, _hints(request)))
        if len(done) >= 2:
            parts.append(render_results(done, chinese=language == "zh", request=request, state=state))
        elif done:
            name, arguments, content = done[0]
            parts.append(
                render_result(
                    name,
                    content,
                    chinese=language == "zh",
                    request=request,
                    arguments=arguments,
                    parameters=parameters.get(name, ()),
                    state=state,
                )
            )
        if not parts:
            return OfflineReply(text="好的。" if language == "zh" else "OK.")
        return OfflineReply(text="\n\n".join(parts))


def _hints(request: str) -> tuple[str, ...]:
    from agents.models.offline.intent import read_cues

    return read_cues(request).hints


def _note_of(content: str) -> Any:
    """The indexed note an explain result carries (its ``slug``), or ``None``."""
    try:
        data = json.loads(content)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("slug"), str) or data.get("section"):
        return None
    return note_index().get(data["slug"])


def _forced_name(tool_choice: Any) -> str | None:
    if isinstance(tool_choice, dict):
        function = tool_choice.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return str(function["name"])
    return None


def _ask_user_answer(content: str) -> str | None:
    try:
        data = json.loads(content)
    except ValueError:
        return None
    return str(data["answer"]) if isinstance(data, dict) and "answer" in data else None
