"""The GenAI span wrappers (:mod:`agents.spans`) on a tracer of their own, recorded in memory: the wrapped
model and toolbox behave exactly as before, and each request or call is one span with the semantic
conventions' attributes."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from agents.errors import ModelAPIError
from agents.messages import ModelResponse, TextDelta
from agents.models.testing import ScriptedModel, call, reply
from agents.spans import SpanModel, SpanToolbox, model_attributes, response_attributes
from agents.toolbox import ToolOutcome, TurnContext, error_outcome

MESSAGES = [{"role": "user", "content": "entropy of a fair coin?"}]
TURN = TurnContext.of("s1")


async def _events(model, context=TURN):
    return [event async for event in model.stream(MESSAGES, [], context=context)]


async def test_a_model_request_is_one_client_span_and_the_stream_is_unchanged(span_recorder):
    tracer, exporter = span_recorder
    answer = ModelResponse(
        text="H = 1 bit.",
        finish_reason="stop",
        usage={"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49},
    )
    bare = await _events(ScriptedModel([answer], name="m"))
    spanned = await _events(SpanModel(ScriptedModel([answer], name="m"), tracer=tracer))
    assert spanned == bare
    (span,) = exporter.get_finished_spans()
    assert (span.name, span.kind, span.status.status_code) == ("chat m", SpanKind.CLIENT, StatusCode.UNSET)
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "m",
        "gen_ai.provider.name": "protoplay",  # a model with no HTTP client: protoplay's own
        "gen_ai.conversation.id": "s1",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 42,
        "gen_ai.usage.output_tokens": 7,
    }


async def test_a_failed_request_marks_the_span_and_raises_the_same_error(span_recorder):
    tracer, exporter = span_recorder
    failing = SpanModel(ScriptedModel([ModelAPIError("The endpoint answered 503.")]), tracer=tracer)
    with pytest.raises(ModelAPIError, match="503"):
        await _events(failing)
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes["error.type"] == "ModelAPIError"


async def test_a_consumer_that_stops_early_ends_the_span_without_an_error(span_recorder):
    tracer, exporter = span_recorder
    model = SpanModel(ScriptedModel(["one two three"]), tracer=tracer)
    stream = model.stream(MESSAGES, [], context=TURN)
    first = await anext(stream)
    assert isinstance(first, TextDelta)
    await stream.aclose()
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code == StatusCode.UNSET and "error.type" not in span.attributes


async def test_the_span_is_current_inside_the_request_but_not_between_events(span_recorder):
    tracer, exporter = span_recorder
    seen_inside = []

    class Watching(ScriptedModel):
        async def stream(self, messages, tools, *, context=None):
            seen_inside.append(trace.get_current_span())  # where an HTTP client would inject the context
            async for event in super().stream(messages, tools, context=context):
                yield event

    model = SpanModel(Watching(["done"]), tracer=tracer)
    async for _ in model.stream(MESSAGES, [], context=TURN):
        assert not trace.get_current_span().get_span_context().is_valid  # nothing leaks to the consumer
    (span,) = exporter.get_finished_spans()
    assert seen_inside[0].get_span_context().span_id == span.context.span_id


async def test_the_wrapped_model_keeps_what_it_offers_besides_the_interface(span_recorder):
    tracer, _ = span_recorder
    model = ScriptedModel(["x"], name="m")
    wrapped = SpanModel(model, tracer=tracer)
    assert wrapped.name == "m" and wrapped.requests is model.requests


class _Client:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url


class _HttpModel:
    def __init__(self, name: str, base_url: str) -> None:
        self.name = name
        self.client = _Client(base_url)


@pytest.mark.parametrize(
    ("name", "base_url", "expected"),
    [
        ("gpt-4o-mini", "https://api.openai.com/v1", ("openai", "api.openai.com", 443)),
        ("llama3", "http://127.0.0.1:11434/v1", ("openai", "127.0.0.1", 11434)),  # the OpenAI wire
        ("protoplay-offline", "http://127.0.0.1:8000/v1", ("protoplay", "127.0.0.1", 8000)),  # serve llm
        ("protoplay-offline", "http://offline.protoplay.invalid/v1", ("protoplay", None, None)),  # in process
    ],
)
def test_the_provider_and_address_come_from_the_endpoint(name, base_url, expected):
    attributes = model_attributes(_HttpModel(name, base_url))
    found = (
        attributes["gen_ai.provider.name"],
        attributes.get("server.address"),
        attributes.get("server.port"),
    )
    assert found == expected


def test_usage_is_read_under_either_wire_s_names():
    chat = ModelResponse(text="x", usage={"prompt_tokens": 3, "completion_tokens": 2})
    responses = ModelResponse(text="x", usage={"input_tokens": 3, "output_tokens": 2})
    expected = {"gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 2}
    assert response_attributes(chat) == response_attributes(responses) == expected
    assert response_attributes(ModelResponse(text="x")) == {}


class _Toolbox:
    def __init__(self, outcome: ToolOutcome) -> None:
        self.outcome = outcome
        self.current = None

    async def tool_specs(self, context):
        return [{"type": "function", "function": {"name": "entropy", "description": "", "parameters": {}}}]

    async def call(self, name, arguments, context):
        self.current = trace.get_current_span()
        return self.outcome


async def test_a_tool_call_is_one_execute_tool_span_around_the_call(span_recorder):
    tracer, exporter = span_recorder
    inner = _Toolbox(ToolOutcome(content='{"entropy": 1.0}', structured={"entropy": 1.0}))
    toolbox = SpanToolbox(inner, tracer=tracer)
    assert await toolbox.tool_specs(TURN) == await inner.tool_specs(TURN)
    outcome = await toolbox.call("entropy", {"p": [0.5, 0.5]}, TURN)
    assert outcome is inner.outcome
    (span,) = exporter.get_finished_spans()  # listing opened none
    assert (span.name, span.kind, span.status.status_code) == (
        "execute_tool entropy",
        SpanKind.INTERNAL,
        StatusCode.UNSET,
    )
    assert dict(span.attributes) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "entropy",
        "gen_ai.conversation.id": "s1",
    }
    # Current during the call: the mcp SDK's tools/call span (and its _meta context) nests under it.
    assert inner.current.get_span_context().span_id == span.context.span_id


async def test_an_error_outcome_marks_the_tool_span(span_recorder):
    tracer, exporter = span_recorder
    toolbox = SpanToolbox(_Toolbox(error_outcome("p must sum to 1")), tracer=tracer)
    outcome = await toolbox.call("entropy", {"p": [0.5]}, TURN)
    assert outcome.is_error
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR
    assert span.status.description == "Error: p must sum to 1"
    assert span.attributes["error.type"] == "tool_error"


async def test_in_an_agent_turn_model_requests_and_tool_calls_are_siblings(span_recorder):
    from agents.loop import Agent
    from agents.memory.sessions import Session

    tracer, exporter = span_recorder
    model = SpanModel(ScriptedModel([reply(call("entropy", {"p": [0.5, 0.5]})), "H = 1 bit."]), tracer=tracer)
    toolbox = SpanToolbox(_Toolbox(ToolOutcome(content="1.0")), tracer=tracer)
    with tracer.start_as_current_span("invoke_agent test") as turn:
        result = await Agent(model, toolbox).run("entropy?", session=Session.ephemeral("s2"))
    assert result.text == "H = 1 bit."
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert sorted(spans) == ["chat scripted", "execute_tool entropy", "invoke_agent test"]
    children = [span for span in exporter.get_finished_spans() if span.parent is not None]
    assert len(children) == 3  # two model requests and the tool call
    assert {span.parent.span_id for span in children} == {turn.get_span_context().span_id}
