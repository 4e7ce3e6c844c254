"""A relayed answer: another agent's ``answer`` (or ``question``) first, then one line naming who answered
and what came with it; and the lines naming the plots a result saved."""

from __future__ import annotations

import re
from typing import Any

from agents.models.offline.prose import ANSWER_LIMIT, clip_lines, has_text

__all__ = ["image_lines", "relayed_answer"]

_IMAGE_LINE = re.compile(r"^\s*(?:Plot saved to|图已保存到)[:：].*$", re.MULTILINE)


def relayed_answer(data: dict[str, Any], images: list[str], *, chinese: bool) -> str:
    """Another agent's answer (or question) first, then who answered and what came with it."""
    agent = data["agent"]
    question = data.get("question") if not has_text(data.get("answer")) else None
    text = (data.get("answer") or question or "").strip()
    if images:  # the copies saved here replace the paths the other agent reported on its side
        text = re.sub(r"\n{3,}", "\n\n", _IMAGE_LINE.sub("", text)).strip()
    text = clip_lines(text, 2 * ANSWER_LIMIT)
    state = data.get("state")
    skill = data.get("skill")
    who = [f"skill {skill}" if not chinese else f"技能 {skill}"] if skill else []
    if state:
        who.append(f"task {state}" if not chinese else f"任务 {state}")
    elif isinstance(data.get("tasks"), int):
        states = data["states"] if isinstance(data.get("states"), dict) else {}
        counted = ", ".join(f"{count} {name}" for name, count in states.items())
        tasks = f"{data['tasks']} tasks" if not chinese else f"{data['tasks']} 个任务"
        who.append(f"{tasks}: {counted}" if counted else tasks)
    attached = [str(item) for item in data.get("artifacts") or () if isinstance(item, str)]
    if not attached and data.get("results"):
        attached = ["structured results (data)" if not chinese else "结构化结果 (data)"]
    if chinese:
        line = f"— {'提问' if question else '回答'}：**{agent}**" + (f"（{'，'.join(who)}）" if who else "")
        line += f" · 附件：{'、'.join(attached)}" if attached else ""
    else:
        line = f"— {'asked' if question else 'answered'} by **{agent}**" + (
            f" ({', '.join(who)})" if who else ""
        )
        line += f" · artifacts: {', '.join(attached)}" if attached else ""
    if question:
        head = f"**{agent}** 需要更多信息：" if chinese else f"**{agent}** needs more information:"
        ask = "请回复答案，我会转交给它。" if chinese else "Reply with the answer and I will pass it on."
        return "\n\n".join([head, text, ask, line, *image_lines(images, chinese=chinese)])
    return "\n\n".join([text, line, *image_lines(images, chinese=chinese)])


def image_lines(images: list[str], *, chinese: bool) -> list[str]:
    label = "图已保存到" if chinese else "Plot saved to"
    return ["\n".join(f"{label}: {path}" for path in images)] if images else []
