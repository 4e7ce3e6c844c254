"""A run's report, for people (scores by language and kind, failures with an excerpt of the answer, time per
question) and for machines (``--json``)."""

from __future__ import annotations

from typing import Any

from agents.text import one_line
from servers.eval.runner import Report

__all__ = ["report_json", "report_text"]


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    index = min(len(values) - 1, max(0, round(share * (len(values) - 1))))
    return sorted(values)[index]


def _rate(passed: int, total: int) -> str:
    return f"{passed}/{total} ({100 * passed / total:.1f}%)" if total else "0/0"


def report_text(report: Report, *, failures: int = 40) -> str:
    """Scores, then up to ``failures`` failed questions, then timing."""
    lines = [f"model {report.model}: {_rate(sum(o.passed for o in report.outcomes), len(report.outcomes))}"]
    for title, groups in (
        ("by language", report.by(lambda q: q.language)),
        ("by kind", report.by(lambda q: q.kind)),
    ):
        lines.append(f"\n{title}:")
        width = max(len(name) for name in groups) if groups else 0
        lines += [f"  {name.ljust(width)}  {_rate(*counts)}" for name, counts in groups.items()]
    if report.failures:
        lines.append(f"\nfailures ({len(report.failures)}):")
        for outcome in report.failures[:failures]:
            question = outcome.question
            calls = ", ".join(name for name, _ in outcome.calls) or "no tool"
            lines.append(
                f"- {question.id} [{question.language}/{question.kind}] {one_line(question.messages[-1], 90)}"
            )
            lines.append(f"    {'; '.join(outcome.problems)}")
            lines.append(f"    called: {calls} · answer: {one_line(outcome.answer, 160) or '(empty)'}")
        if len(report.failures) > failures:
            lines.append(f"  … {len(report.failures) - failures} more (use --json for all)")
    times = report.seconds()
    if times:
        mean, total = sum(times) / len(times), sum(times)
        p50, p95 = _percentile(times, 0.5), _percentile(times, 0.95)
        lines.append(
            f"\ntime per question: mean {mean:.3f} s, p50 {p50:.3f} s, p95 {p95:.3f} s, total {total:.1f} s"
        )
    return "\n".join(lines)


def report_json(report: Report) -> dict[str, Any]:
    times = report.seconds()
    return {
        "model": report.model,
        "score": report.score,
        "passed": sum(o.passed for o in report.outcomes),
        "total": len(report.outcomes),
        "by_language": {
            k: {"passed": p, "total": t} for k, (p, t) in report.by(lambda q: q.language).items()
        },
        "by_kind": {k: {"passed": p, "total": t} for k, (p, t) in report.by(lambda q: q.kind).items()},
        "seconds": {
            "mean": sum(times) / len(times) if times else 0.0,
            "p50": _percentile(times, 0.5),
            "p95": _percentile(times, 0.95),
            "total": sum(times),
        },
        "questions": [
            {
                "id": o.question.id,
                "language": o.question.language,
                "kind": o.question.kind,
                "passed": o.passed,
                "problems": o.problems,
                "calls": [{"name": name, "arguments": arguments} for name, arguments in o.calls],
                "answer": o.answer,
                "seconds": round(o.seconds, 4),
            }
            for o in report.outcomes
        ],
    }
