"""Suite-wide guards: no test reaches beyond loopback, no model request escapes to a real endpoint, and no
test writes outside its own PROTOPLAY_HOME."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator

import pytest

from agents.models.testing.http import forbid_real_requests

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local(address: object) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths and the like
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a hostname other than localhost would need DNS: not allowed in tests


def _guarded(real):
    def connect(self, address):
        if not _is_local(address):
            raise ConnectionRefusedError(f"test tried to reach {address!r}: tests may only use loopback")
        return real(self, address)

    return connect


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded(_real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded(_real_connect_ex))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets an empty PROTOPLAY_HOME, no real model endpoint and no OpenTelemetry collector
    configured."""
    home = tmp_path_factory.mktemp("protoplay_home")
    monkeypatch.setenv("PROTOPLAY_HOME", str(home))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "PROTOPLAY_MODEL"):
        monkeypatch.delenv(var, raising=False)
    for var in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_SERVICE_NAME"):
        monkeypatch.delenv(var, raising=False)  # nothing exports unless a test asks for it


@pytest.fixture(autouse=True)
def _no_real_endpoints() -> Iterator[None]:
    """An openai (httpx2) request that no test route answers fails loudly instead of leaving the machine."""
    with forbid_real_requests():
        yield


@pytest.fixture
def span_recorder() -> Iterator[tuple[object, object]]:
    """A tracer of the test's own and the in-memory exporter its finished spans go to (the process-wide
    provider stays unset: export is off for the rest of the suite)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("test"), exporter
    provider.shutdown()
