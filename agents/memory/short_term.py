"""Short-term memory: the message window sent to the model, kept within a token budget.

The conversation is a list of *turns* (a user message and everything the agent did to answer it). When the
window is over budget, whole turns are dropped, oldest first, and — when asked — folded into a running summary
that rides along as a system message. The system prompt and the newest turn are always kept, and because only
whole turns are dropped, an assistant ``tool_calls`` message is never separated from its tool results.

Tokens are estimated offline by :func:`agents.messages.estimate_tokens` (no tokenizer download).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from agents.messages import Message, estimate_tokens
from agents.text import one_line

__all__ = ["ShortTermMemory", "Turn", "extractive_summary"]


@dataclass
class Turn:
    """One exchange: the user's message and every assistant/tool message that answered it, in order."""

    messages: list[Message]
    """Starts with the ``user`` message."""
    tokens: int = 0
    """Estimated size, computed on creation."""

    def __post_init__(self) -> None:
        if not self.tokens:
            self.tokens = sum(estimate_tokens(message) for message in self.messages)


Summarizer = Callable[[str | None, Sequence[Turn]], str]
"""``summarize(previous_summary, dropped_turns) -> new_summary``."""


def extractive_summary(previous: str | None, dropped: Sequence[Turn], *, max_lines: int = 20) -> str:
    """A deterministic summary: one line per dropped turn (question, tools used, answer), newest kept."""
    lines = previous.splitlines() if previous else []
    for turn in dropped:
        question = next((m.get("content") or "" for m in turn.messages if m.get("role") == "user"), "")
        tools = [
            call["function"]["name"]
            for m in turn.messages
            for call in (m.get("tool_calls") or ())
            if isinstance(call, dict) and "function" in call
        ]
        answer = next(
            (m.get("content") or "" for m in reversed(turn.messages) if m.get("role") == "assistant"), ""
        )
        line = f"- user: {one_line(str(question), 120)}"
        if tools:
            line += f" | tools: {', '.join(dict.fromkeys(tools))}"
        if answer:
            line += f" | answer: {one_line(str(answer), 160)}"
        lines.append(line)
    return "\n".join(lines[-max_lines:])


@dataclass
class ShortTermMemory:
    """The conversation window.

    ``budget_tokens`` bounds what :meth:`render` returns, except that the system prompt and the newest turn
    are always included even if they alone exceed it. With ``summarize=True``, turns that fall out of the
    window are folded into :attr:`summary` (by ``summarizer``) instead of being forgotten.
    """

    budget_tokens: int = 8000
    """Upper bound on the estimated tokens of a rendered window."""
    summarize: bool = False
    """Fold dropped turns into a running summary."""
    summarizer: Summarizer = extractive_summary
    """How dropped turns are folded (deterministic and extractive by default)."""
    turns: list[Turn] = field(default_factory=list)
    """Completed turns still in the window, oldest first."""
    summary: str | None = None
    """The running summary of dropped turns, when summarizing."""

    def add_turn(self, messages: Sequence[Message]) -> None:
        self.turns.append(Turn(list(messages)))

    def clear(self) -> None:
        self.turns.clear()
        self.summary = None

    def render(
        self,
        system: Sequence[Message],
        current: Sequence[Message],
        *,
        context: Sequence[Message] = (),
    ) -> list[Message]:
        """The messages for the next request: ``system``, the summary, ``context`` (e.g. recalled memories),
        as many recent whole turns as fit, then ``current`` (the turn in progress).

        Trims (and folds) old turns as a side effect, so the window never grows without bound.
        """
        fixed = sum(estimate_tokens(m) for m in system) + sum(estimate_tokens(m) for m in current)
        fixed += sum(estimate_tokens(m) for m in context)
        self._fit(self.budget_tokens - fixed)
        messages = list(system)
        summary = self._summary_message()
        if summary is not None:
            messages.append(summary)
        messages.extend(context)
        for turn in self.turns:
            messages.extend(turn.messages)
        messages.extend(current)
        return messages

    def _summary_message(self) -> Message | None:
        if not self.summary:
            return None
        return {"role": "system", "content": f"Summary of the earlier conversation:\n{self.summary}"}

    def _summary_tokens(self) -> int:
        message = self._summary_message()
        return estimate_tokens(message) if message is not None else 0

    def _fit(self, room: int) -> None:
        used = sum(turn.tokens for turn in self.turns) + self._summary_tokens()
        dropped: list[Turn] = []
        while self.turns and used > room:
            turn = self.turns.pop(0)
            dropped.append(turn)
            used -= turn.tokens
            if self.summarize:
                self.summary = self.summarizer(self.summary, [turn])
                used = sum(t.tokens for t in self.turns) + self._summary_tokens()
        while self.summary and used > room:  # the summary itself must not crowd out the newest turn
            lines = self.summary.splitlines()[1:]
            self.summary = "\n".join(lines) or None
            used = sum(t.tokens for t in self.turns) + self._summary_tokens()
