"""OpenTelemetry export, off by default: one process switches it on with ``--otlp-endpoint URL`` or the
standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` (``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``).

Off costs nothing: this module imports no OpenTelemetry package, and every wrapper, transport and middleware
that makes spans is installed only where a model, a client or an app is built and only when :func:`enabled`
says so. (The ``mcp`` SDK imports the OpenTelemetry *API* itself and opens a span per message; with no
provider configured those are no-op spans that go nowhere.)

:func:`configure` installs the global tracer provider — the one the mcp SDK's spans use too — with a batching
OTLP/HTTP (protobuf) exporter, and

- writes the traces URL into the environment, so a process this one spawns (the stdio MCP server) exports to
  the same collector;
- turns a2a-sdk's own spans off (``OTEL_INSTRUMENTATION_A2A_SDK_ENABLED=false`` unless already set): the SDK
  opens one span per internal method (≈100 per request, all marked SERVER) and propagates no context;
  protoplay opens one CLIENT and one SERVER span per A2A request instead (:mod:`agents.a2a.spans`,
  :mod:`servers.telemetry`).

W3C trace context crosses processes in MCP requests' ``params._meta`` (the mcp SDK does it) and in the HTTP
headers of A2A and model requests (:func:`inject_headers`, :func:`http_hooks`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from agents.config import Env, SetupError

__all__ = [
    "TRACER_NAME",
    "TelemetryError",
    "agent_span",
    "configure",
    "enabled",
    "extract_context",
    "http_hooks",
    "inject_headers",
    "span",
    "tracer",
    "traces_endpoint",
]

log = logging.getLogger(__name__)

TRACER_NAME = "protoplay"
"""The instrumentation scope of protoplay's own spans (the mcp SDK's are ``mcp-python-sdk``)."""
_TRACES_PATH = "v1/traces"
_FLAG = "--otlp-endpoint"

_provider: Any = None
"""The SDK ``TracerProvider`` once :func:`configure` switched export on; ``None`` while it is off."""
_tracer: Any = None


class TelemetryError(SetupError):
    """``--otlp-endpoint`` was given but export cannot start (not an http(s) URL, or the ``otel`` extra is
    not installed)."""


def enabled() -> bool:
    """Whether this process exports spans (checked where spans would be made: off, nothing is wrapped)."""
    return _provider is not None


def traces_endpoint(flag: str | None = None) -> tuple[str, str] | None:
    """Where spans are posted, and what said so: the flag (a base URL, as ``OTEL_EXPORTER_OTLP_ENDPOINT``)
    plus ``/v1/traces``; else ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` as it is; else
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` plus ``/v1/traces``. ``None`` when none is set, or when
    ``OTEL_SDK_DISABLED=true`` and no flag asks for export."""
    setting = _setting(flag)
    if setting is None:
        return None
    value, source = setting
    return (value if source == Env.OTLP_TRACES_ENDPOINT else _join(value)), source


def _setting(flag: str | None) -> tuple[str, str] | None:
    """The endpoint as the user gave it, and where."""
    if flag is not None:
        return flag.strip(), _FLAG
    if os.environ.get(Env.OTEL_SDK_DISABLED, "").strip().lower() == "true":
        return None
    for variable in (Env.OTLP_TRACES_ENDPOINT, Env.OTLP_ENDPOINT):
        if os.environ.get(variable, "").strip():
            return os.environ[variable].strip(), variable.value
    return None


def _join(base: str) -> str:
    return base if base.rstrip("/").endswith(_TRACES_PATH) else f"{base.rstrip('/')}/{_TRACES_PATH}"


def configure(*, service: str, endpoint: str | None = None) -> bool:
    """Switch export on for this process when ``endpoint`` (the flag's value) or the environment names a
    collector; return whether it is on. Nothing is imported when neither does. A second call keeps the first
    configuration.

    ``service`` is the ``service.name`` of the spans unless ``OTEL_SERVICE_NAME`` sets one. A flag that cannot
    be honoured raises :class:`TelemetryError` (one sentence naming the flag); a bad or unusable environment
    variable only logs a warning and leaves export off — it may be meant for another program.
    """
    global _provider
    if _provider is not None:
        return True
    setting = _setting(endpoint)
    if setting is None:
        return False
    value, source = setting
    try:
        _provider = _start(value, source, service)
    except TelemetryError as exc:
        if source == _FLAG:
            raise
        log.warning("OpenTelemetry export stays off: %s", exc)
        return False
    return True


def _start(value: str, source: str, service: str) -> Any:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TelemetryError(
            f"{source}: {value!r} is not an http(s) URL; give the collector's OTLP/HTTP address, e.g. "
            "http://127.0.0.1:4318"
        )
    url = value if source == Env.OTLP_TRACES_ENDPOINT else _join(value)
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise TelemetryError(
            f"{source}: exporting OpenTelemetry spans needs the otel extra: pip install 'protoplay[otel]'"
        ) from None
    # Before a2a-sdk is imported (the CLI imports it inside commands, after this): its switch is read once.
    os.environ.setdefault(Env.A2A_SDK_SPANS, "false")
    os.environ[Env.OTLP_TRACES_ENDPOINT] = url  # a spawned MCP server exports to the same collector
    attributes = {"service.version": _version()}
    if not os.environ.get(Env.OTEL_SERVICE_NAME):
        attributes["service.name"] = service
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    trace.set_tracer_provider(provider)  # flushed and shut down at exit (the SDK registers that)
    return provider


@functools.cache  # reading the installed metadata takes milliseconds
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("protoplay")
    except PackageNotFoundError:  # a source checkout that was never installed
        return "0+unknown"


def tracer() -> Any:
    """protoplay's tracer from the global provider (a no-op tracer while export is off)."""
    global _tracer
    if _tracer is None or _provider is None:
        from opentelemetry import trace

        _tracer = trace.get_tracer(TRACER_NAME, _version())
    return _tracer


def inject_headers(headers: MutableMapping[str, str], *, context: Any = None) -> None:
    """Write the current (or ``context``'s) trace context into ``headers`` as W3C ``traceparent``."""
    from opentelemetry.propagate import inject

    inject(headers, context=context)


def extract_context(headers: Mapping[str, str]) -> Any:
    """The trace context a request's headers carry (an empty context when they carry none)."""
    from opentelemetry.propagate import extract

    return extract(headers)


async def _inject_into_request(request: Any) -> None:
    inject_headers(request.headers)


def http_hooks() -> dict[str, list[Any]]:
    """``event_hooks`` for an httpx/httpx2 client: each request carries the trace context (none when off)."""
    return {"request": [_inject_into_request]} if enabled() else {}


@contextlib.contextmanager
def span(name: str, attributes: Mapping[str, Any] | None = None, *, kind: str = "INTERNAL") -> Iterator[Any]:
    """A span around a block, current inside it (``None``, and nothing imported, while export is off);
    attributes whose value is ``None`` are left out."""
    if not enabled():
        yield None
        return
    from opentelemetry.trace import SpanKind

    values = {key: value for key, value in (attributes or {}).items() if value is not None}
    with tracer().start_as_current_span(name, kind=SpanKind[kind], attributes=values) as current:
        yield current


def agent_span(agent: str, *, conversation: str | None = None) -> contextlib.AbstractContextManager[Any]:
    """``invoke_agent {agent}``: one agent turn (GenAI semantic conventions), the parent of its model
    requests and tool calls."""
    attributes = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": agent,
        "gen_ai.conversation.id": conversation,
    }
    return span(f"invoke_agent {agent}", attributes)
