"""A real OTLP/HTTP receiver on loopback: what an OpenTelemetry collector does with ``POST /v1/traces``, minus
the storage. Each body is decoded as the protobuf ``ExportTraceServiceRequest`` (the message classes of
``opentelemetry-proto``), so a test sees exactly what a collector would — no exporter is mocked."""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

__all__ = ["OTLPReceiver", "ReceivedSpan", "otlp_receiver"]


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as it arrived."""

    service: str
    """Its resource's ``service.name``."""
    scope: str
    """The instrumentation scope (``protoplay``, ``mcp-python-sdk``...)."""
    name: str
    kind: str
    """``SERVER``, ``CLIENT``, ``INTERNAL``..."""
    trace_id: str
    span_id: str
    parent_id: str | None
    attributes: dict[str, Any]
    status: str
    """``UNSET``, ``OK`` or ``ERROR``."""


class OTLPReceiver:
    """Spans received so far (safe to read while exporters post)."""

    def __init__(self, url: str) -> None:
        self.url = url
        """The base URL, as ``--otlp-endpoint`` takes it (spans are posted to ``URL/v1/traces``)."""
        self.requests = 0
        self._spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            return list(self._spans)

    def add(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        received = []
        for resource_spans in request.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                received += [
                    _span(span, str(resource.get("service.name")), scope_spans.scope.name)
                    for span in scope_spans.spans
                ]
        with self._lock:
            self.requests += 1
            self._spans += received

    def wait_for(
        self, condition: Callable[[list[ReceivedSpan]], bool], *, timeout_s: float = 30
    ) -> list[ReceivedSpan]:
        """The spans once ``condition(spans)`` holds; fails with what did arrive after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            spans = self.spans
            if condition(spans):
                return spans
            time.sleep(0.1)
        names = sorted({(s.service, s.name) for s in self.spans})
        raise AssertionError(f"the spans waited for did not arrive within {timeout_s} s; got {names}")


def _span(span: Span, service: str, scope: str) -> ReceivedSpan:
    return ReceivedSpan(
        service=service,
        scope=scope,
        name=span.name,
        kind=Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_"),
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_id=span.parent_span_id.hex() or None,
        attributes=_attributes(span.attributes),
        status=Status.StatusCode.Name(span.status.code).removeprefix("STATUS_CODE_"),
    )


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    return getattr(value, kind) if kind else None


@contextmanager
def otlp_receiver() -> Iterator[OTLPReceiver]:
    """An OTLP/HTTP receiver on a free loopback port for the block (answers what a collector answers)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    receiver = OTLPReceiver(f"http://127.0.0.1:{server.server_address[1]}")
    server.receiver = receiver  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # the http.server interface names it
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        if self.path != "/v1/traces" or self.headers.get("Content-Type") != "application/x-protobuf":
            self.send_error(404 if self.path != "/v1/traces" else 415)
            return
        self.server.receiver.add(body)  # type: ignore[attr-defined]
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the test reports what matters
        pass
