"""Command line for scoring a model on a question set: ``protoplay eval``.

    protoplay eval                                    # the public set, on the built-in offline model
    protoplay eval --base-url http://127.0.0.1:11434/v1 --model qwen2.5 --record cassettes/qwen
    protoplay eval --replay cassettes/qwen            # the same run again, with no endpoint
    protoplay eval --set my.jsonl --json

Questions run through the whole agent (the MCP tools in process, or ``--mcp URL``); the report gives the
score by language and kind, each failure with an excerpt of its answer, and the time per question.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from servers.cli.options import ApiKeyOpt, BaseUrlOpt, JsonOpt, McpOpt, McpTokenOpt, ModelOpt, user_message
from servers.serving import fail

__all__ = ["PUBLIC_SET", "register"]

PUBLIC_SET = Path(__file__).resolve().parents[2] / "tests" / "eval" / "public.jsonl"
"""The public question set of a source checkout."""


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    """Add ``eval`` to ``app``."""
    app.command("eval")(eval_command)


def eval_command(
    question_set: Annotated[
        Path | None,
        typer.Option("--set", help="Question set (JSONL); default: the public set, tests/eval/public.jsonl."),
    ] = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    mcp: McpOpt = None,
    mcp_token: McpTokenOpt = None,
    record: Annotated[
        Path | None,
        typer.Option(
            "--record", help="Save the model's replies as cassettes in DIR (one file per question)."
        ),
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option("--replay", help="Answer from the cassettes in DIR instead of a model (no endpoint)."),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Run only questions whose id contains this text (repeatable)."),
    ] = None,
    min_score: Annotated[
        float | None,
        typer.Option("--min-score", min=0.0, max=1.0, help="Exit 1 when the score is below this (0..1)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Score a model on a question set, end to end through the agent and the MCP tools."""
    from agents.config import resolve_model_config
    from agents.errors import AgentError
    from servers.eval.questions import QuestionSetError, load_questions
    from servers.eval.report import report_json, report_text

    if record is not None and replay is not None:
        raise fail("--record: cannot record while replaying (--replay); give one of them")
    path = question_set or PUBLIC_SET
    if question_set is None and not path.exists():
        raise fail("--set: no question set given and the public set is not in this installation")
    try:
        questions = load_questions(path)
    except QuestionSetError as exc:
        raise fail(str(exc)) from None
    if only:
        questions = [q for q in questions if any(part in q.id for part in only)]
        if not questions:
            raise fail(f"--only: no question id contains {', '.join(only)}")
    config = resolve_model_config(model=model, base_url=base_url, api_key=api_key)
    if replay is not None and not replay.is_dir():
        raise fail(f"--replay: {replay} is not a directory of cassettes")
    if not as_json:
        who = "cassettes in " + str(replay) if replay else config.describe()
        typer.echo(f"eval: {len(questions)} questions from {path} on {who}", err=True)
    try:
        report = asyncio.run(_run(questions, config, mcp, mcp_token, record, replay, progress=not as_json))
    except AgentError as error:
        raise fail(user_message(error), code=1) from None
    if as_json:
        typer.echo(json.dumps(report_json(report), indent=2, ensure_ascii=False))
    else:
        typer.echo(report_text(report))
    if min_score is not None and report.score < min_score:
        raise typer.Exit(1)


async def _run(
    questions: list[Any],
    config: Any,
    mcp: str | None,
    mcp_token: str | None,
    record: Path | None,
    replay: Path | None,
    *,
    progress: bool,
) -> Any:
    from agents.config import resolve_mcp_token
    from agents.mcp.client import connect_mcp
    from agents.models.cassettes import RecordingModel, ReplayModel
    from agents.models.offline import OfflineModel
    from agents.models.openai import OpenAIModel, build_model
    from servers.eval.runner import Outcome, run_questions

    model: Any
    if replay is not None:
        model = ReplayModel(replay)
    elif config.offline:
        model = OfflineModel()
    else:
        model = build_model(config)
    if record is not None:
        model = RecordingModel(model, record)
    target: Any = mcp
    if target is None:
        from servers.mcp.server import build_server

        target = build_server()

    def show(outcome: Outcome) -> None:
        if progress:
            sys.stderr.write("." if outcome.passed else "F")
            sys.stderr.flush()

    try:
        async with connect_mcp(target, token=resolve_mcp_token(mcp_token)) as toolbox:
            report = await run_questions(questions, model=model, toolbox=toolbox, on_outcome=show)
    finally:
        inner = getattr(model, "model", model)
        if isinstance(inner, OpenAIModel):
            await inner.aclose()
        if progress:
            sys.stderr.write("\n")
    return report
