"""The built-in offline model: deterministic, schema-driven, and bilingual enough for the notes' terms.

Given the messages and offered tools of one chat-completions request it does one of four things:

- the last message is a tool result → writes a short answer from the structured content;
- the user's request is about an offered tool and every required argument can be read from the text → calls
it;
- an argument is missing → asks for it (through ``ask_user`` when offered, else in plain text), and when the
  answer arrives it merges it with the original request;
- nothing matches → says so plainly and lists what it can do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from agents.messages import has_cjk
from agents.models.offline.answers import render_result, render_results
from agents.models.offline.arguments import fill_arguments
from agents.models.offline.fanout import MAX_CALLS, companion_tools, fan_out
from agents.models.offline.lexicon import GREETINGS, translate
from agents.models.offline.schema import Slot, ToolView
from agents.models.offline.selection import MIN_SCORE, rank_tools

__all__ = ["OfflineBrain", "OfflineReply"]

ASK_USER = "ask_user"
_PENDING = re.compile(r"(?:To run|要运行) `([A-Za-z0-9_.\-]+)`")
_DEFINITION = re.compile(
    r"^\s*(what is|what's|what are|what does .* mean|define|explain|tell me about|describe)\b"
    r"|什么是|是什么|解释|含义",
    re.IGNORECASE,
)
_CAPABILITY_WORDS = re.compile(
    r"what can you do|what do you do|capabilit|你能做什么|你会什么|功能", re.IGNORECASE
)


@dataclass(frozen=True)
class OfflineReply:
    """What the offline model answers: text, or tool calls (name and arguments)."""

    text: str | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return content or ""


class OfflineBrain:
    """Stateless: every answer is a pure function of the messages and tools of the request."""

    def __init__(self) -> None:
        self._views: dict[str, ToolView] = {}

    def _view(self, spec: dict[str, Any]) -> ToolView:
        key = json.dumps(spec, sort_keys=True, ensure_ascii=False)
        view = self._views.get(key)
        if view is None:
            if len(self._views) > 512:
                self._views.clear()
            view = self._views[key] = ToolView.from_spec(spec)
        return view

    def respond(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> OfflineReply:
        views = [self._view(spec) for spec in tools if spec.get("type", "function") == "function"]
        if not messages:
            return OfflineReply(text=self._capabilities(views, chinese=False))
        last = messages[-1]
        if last.get("role") == "tool":
            return self._after_tools(messages, views)
        if last.get("role") == "user":
            return self._request(messages, views)
        return OfflineReply(text="(nothing to answer)")

    # ------------------------------------------------------------------------------------------ requests

    def _request(self, messages: list[dict[str, Any]], views: list[ToolView]) -> OfflineReply:
        text = _content(messages[-1]).strip()
        pending = _pending_request(messages[:-1])
        if pending is not None:
            tool_name, original = pending
            merged = self._follow_up(tool_name, original, text, views)
            if merged is not None:
                return merged
        return self._handle(text, views, chinese=has_cjk(text))

    def _follow_up(
        self, tool_name: str, original: str, answer: str, views: list[ToolView]
    ) -> OfflineReply | None:
        tool = next((view for view in views if view.name == tool_name), None)
        if tool is None:
            return None
        callable_views = [view for view in views if view.name != ASK_USER]
        ranked = rank_tools(answer, callable_views)
        if ranked and ranked[0].tool.name != tool_name and ranked[0].score >= MIN_SCORE + 2:
            return None  # the user moved on to another request
        chinese = has_cjk(original) or has_cjk(answer)
        return self._call_or_ask(tool, f"{original}\n{answer}", views, chinese, triggers=set())

    def _handle(self, text: str, views: list[ToolView], *, chinese: bool) -> OfflineReply:
        callable_views = [view for view in views if view.name != ASK_USER]
        if not text or _is_greeting(text) or _CAPABILITY_WORDS.search(text):
            return OfflineReply(text=self._capabilities(callable_views, chinese=chinese))
        ranked = rank_tools(text, callable_views)
        if not ranked or ranked[0].score < MIN_SCORE:
            return OfflineReply(text=self._cannot(callable_views, chinese=chinese))
        choice = ranked[0]
        conceptual = _DEFINITION.search(text) and not re.search(r"\d", text)
        if conceptual and fill_arguments(choice.tool, text, trigger_words=set(choice.triggers)).missing:
            # "what is cross-entropy?" asks for an idea, not a computation: when the best tool cannot be
            # filled, prefer the best-scoring tool that can (typically an explain-style tool).
            for other in ranked[1:]:
                if other.score <= 0:
                    break
                extraction = fill_arguments(other.tool, text, trigger_words=set(other.triggers))
                if not extraction.missing and extraction.arguments:
                    return OfflineReply(tool_calls=[(other.tool.name, extraction.arguments)])
        reply = self._call_or_ask(choice.tool, text, views, chinese, triggers=set(choice.triggers))
        if reply.tool_calls and reply.tool_calls[0][0] == choice.tool.name:
            # The request may also ask for what another tool computes ("… by GPU memory and trainable
            # parameters"): call it too when it is a confident, fully filled match of its own.
            calls = list(reply.tool_calls)
            for tool, extraction, _ in companion_tools(text, ranked):
                calls += [(tool.name, arguments) for arguments in fan_out(tool, text, extraction.arguments)]
            reply = OfflineReply(tool_calls=calls[:MAX_CALLS])
        return reply

    def _call_or_ask(
        self, tool: ToolView, text: str, views: list[ToolView], chinese: bool, *, triggers: set[str]
    ) -> OfflineReply:
        extraction = fill_arguments(tool, text, trigger_words=triggers)
        if not extraction.missing:
            # "compare full, LoRA and QLoRA": one call per listed value of a single-valued enum parameter.
            return OfflineReply(
                tool_calls=[(tool.name, arguments) for arguments in fan_out(tool, text, extraction.arguments)]
            )
        question = _question(tool, extraction.missing, chinese=chinese)
        if any(view.name == ASK_USER for view in views):
            return OfflineReply(tool_calls=[(ASK_USER, {"question": question})])
        return OfflineReply(text=question)

    # ------------------------------------------------------------------------------------------ results

    def _after_tools(self, messages: list[dict[str, Any]], views: list[ToolView]) -> OfflineReply:
        results: list[dict[str, Any]] = []
        index = len(messages) - 1
        while index >= 0 and messages[index].get("role") == "tool":
            results.insert(0, messages[index])
            index -= 1
        assistant = messages[index] if index >= 0 else {}
        calls = {call.get("id"): call.get("function", {}) for call in assistant.get("tool_calls") or ()}
        request = _last_user_text(messages[:index])
        chinese = has_cjk(request)
        parameters = {view.name: [slot.name for slot in view.slots] for view in views}
        parts = []
        done: list[tuple[str, dict[str, Any], str]] = []
        for result in results:
            function = calls.get(result.get("tool_call_id"), {})
            name = function.get("name", "tool")
            content = _content(result)
            if name == ASK_USER:
                answer = _ask_user_answer(content)
                if answer is not None:
                    pending = _pending_request(messages[: index + 1])
                    if pending is not None:
                        merged = self._follow_up(pending[0], pending[1], answer, views)
                        if merged is not None:
                            return merged
                continue
            arguments = _arguments(function)
            done.append((name, arguments, content))
            parts.append(
                render_result(
                    name,
                    content,
                    chinese=chinese,
                    request=request,
                    arguments=arguments,
                    parameters=parameters.get(name, ()),
                )
            )
        if len(done) >= 2:  # several calls of one reply ("full, LoRA and QLoRA"): one combined answer
            return OfflineReply(text=render_results(done, chinese=chinese, request=request))
        if not parts:
            return OfflineReply(text="好的。" if chinese else "OK.")
        return OfflineReply(text="\n\n".join(parts))

    # ------------------------------------------------------------------------------------------ phrasing

    def _capabilities(self, views: list[ToolView], *, chinese: bool) -> str:
        head = (
            "我是 protoplay 的内置离线模型。我可以调用这些工具："
            if chinese
            else "I am protoplay's built-in offline model. I can run these tools for you:"
        )
        lines = [head, "", *_tool_lines(views)]
        if not views:
            lines.append("- (no tools are offered in this conversation)")
        example = (
            "例如：“计算分布 [0.5, 0.5] 的信息熵”"
            if chinese
            else 'For example: "entropy of [0.5, 0.5] in bits".'
        )
        return "\n".join([*lines, "", example])

    def _cannot(self, views: list[ToolView], *, chinese: bool) -> str:
        head = (
            "抱歉，离线模型无法处理这个请求：它不对应我能调用的任何工具。我能做的是："
            if chinese
            else "Sorry, I can't do that offline: it does not match any tool I can call. What I can do:"
        )
        lines = [head, "", *_tool_lines(views)]
        tail = (
            "（设置 OPENAI_API_KEY 或 OPENAI_BASE_URL 可以换用一个通用模型。）"
            if chinese
            else "(Set OPENAI_API_KEY or OPENAI_BASE_URL to use a general-purpose model instead.)"
        )
        return "\n".join([*lines, "", tail])


def _tool_lines(views: list[ToolView]) -> list[str]:
    return [f"- `{view.name}` — {view.summary}" for view in views]


def _is_greeting(text: str) -> bool:
    words = re.findall(r"[\w\u4e00-\u9fff]+", translate(text).lower())
    return bool(words) and len(words) <= 3 and any(word in GREETINGS for word in words)


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return _content(message)
    return ""


def _arguments(function: dict[str, Any]) -> dict[str, Any]:
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except (TypeError, ValueError):
        return {}
    return arguments if isinstance(arguments, dict) else {}


def _ask_user_answer(content: str) -> str | None:
    try:
        data = json.loads(content)
    except ValueError:
        return None
    return str(data["answer"]) if isinstance(data, dict) and "answer" in data else None


def _pending_request(messages: list[dict[str, Any]]) -> tuple[str, str] | None:
    """When the conversation ends with this model asking for a missing argument: (tool, original request)."""
    index = len(messages) - 1
    while index >= 0 and messages[index].get("role") == "tool":
        index -= 1
    if index < 0 or messages[index].get("role") != "assistant":
        return None
    assistant = messages[index]
    question = _content(assistant)
    for call in assistant.get("tool_calls") or ():
        function = call.get("function", {})
        if function.get("name") == ASK_USER:
            try:
                question = str(json.loads(function.get("arguments") or "{}").get("question", ""))
            except (ValueError, AttributeError):
                question = ""
    match = _PENDING.search(question)
    if match is None:
        return None
    original = _last_user_text(messages[:index])
    return match.group(1), original


def _example(slot: Slot) -> str:
    if slot.enum:
        return str(slot.enum[0])
    if slot.types & {"integer", "number"}:
        low = slot.minimum if slot.minimum is not None else 1
        return str(int(low) if float(low).is_integer() and "integer" in slot.types else max(low, 1))
    if slot.is_matrix:
        return "[[2.0, 0.5, -1.0]]"
    if slot.is_vector:
        return "[0.5, 0.5]"
    if slot.item_enum:
        return json.dumps(slot.item_enum[:2])
    if "boolean" in slot.types:
        return "true"
    if "object" in slot.types or "object" in slot.item_types:
        return "{…}"
    return '"…"'


def _question(tool: ToolView, missing: list[Slot], *, chinese: bool) -> str:
    def describe(slot: Slot) -> str:
        options = ""
        choices = slot.enum or slot.item_enum
        if choices:
            shown = ", ".join(str(option) for option in choices[:8])
            options = f" ({'可选' if chinese else 'one of'}: {shown}{', …' if len(choices) > 8 else ''})"
        detail = (
            re.split(r"(?<=\w{3}[.;])\s", slot.description.strip(), maxsplit=1)[0].rstrip(".;") or slot.name
        )
        return f"**{slot.name}** — {detail}{options}"

    needed = "\n".join(f"- {describe(slot)}" for slot in missing)
    example = ", ".join(f"{slot.name}={_example(slot)}" for slot in missing)
    if chinese:
        return f"要运行 `{tool.name}`，我还需要：\n{needed}\n请补充，例如：`{example}`"
    them = "it" if len(missing) == 1 else "them"
    return f"To run `{tool.name}` I need:\n{needed}\nPlease give {them}, e.g. `{example}`"
