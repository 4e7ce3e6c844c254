"""Switching OpenTelemetry export on: where spans go, what a bad setting says, and that off imports nothing.

Tests that would install the process-wide tracer provider run in a fresh interpreter: it can be set once per
process, and the rest of the suite runs with export off.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from agents import telemetry
from agents.config import Env
from tests.otlp import otlp_receiver


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    import os

    clean = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_flag_names_a_base_url_like_the_standard_variable():
    assert telemetry.traces_endpoint("http://127.0.0.1:4318") == (
        "http://127.0.0.1:4318/v1/traces",
        "--otlp-endpoint",
    )
    assert telemetry.traces_endpoint("http://collector:4318/")[0] == "http://collector:4318/v1/traces"
    assert (
        telemetry.traces_endpoint("http://collector:4318/v1/traces")[0] == "http://collector:4318/v1/traces"
    )


def test_without_flag_the_traces_variable_wins_over_the_base_one(monkeypatch):
    assert telemetry.traces_endpoint() is None
    monkeypatch.setenv(Env.OTLP_ENDPOINT, "http://a:4318")
    assert telemetry.traces_endpoint() == ("http://a:4318/v1/traces", Env.OTLP_ENDPOINT.value)
    monkeypatch.setenv(Env.OTLP_TRACES_ENDPOINT, "http://b:4318/custom/path")
    assert telemetry.traces_endpoint() == ("http://b:4318/custom/path", Env.OTLP_TRACES_ENDPOINT.value)
    assert telemetry.traces_endpoint("http://c:4318")[0] == "http://c:4318/v1/traces"  # the flag wins


def test_otel_sdk_disabled_keeps_the_environment_from_switching_export_on(monkeypatch):
    monkeypatch.setenv(Env.OTLP_ENDPOINT, "http://a:4318")
    monkeypatch.setenv(Env.OTEL_SDK_DISABLED, "true")
    assert telemetry.traces_endpoint() is None
    assert telemetry.traces_endpoint("http://c:4318") is not None  # an explicit flag still asks for it


def test_with_nothing_configured_export_is_off_and_costs_no_import():
    ran = _run(
        """
        import sys
        from agents import telemetry
        assert telemetry.configure(service="protoplay-test") is False
        assert not telemetry.enabled() and telemetry.http_hooks() == {}
        with telemetry.agent_span("protoplay-test", conversation="c") as span:
            assert span is None
        print(sorted(name for name in sys.modules if name.startswith("opentelemetry")))
        """
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "[]"


def test_a_flag_that_is_not_an_http_url_is_one_sentence_naming_it():
    with pytest.raises(telemetry.TelemetryError) as caught:
        telemetry.configure(service="protoplay-test", endpoint="localhost:4318")
    assert str(caught.value) == (
        "--otlp-endpoint: 'localhost:4318' is not an http(s) URL; give the collector's OTLP/HTTP "
        "address, e.g. http://127.0.0.1:4318"
    )
    assert not telemetry.enabled()


def test_a_bad_variable_only_warns_and_export_stays_off(monkeypatch, caplog):
    monkeypatch.setenv(Env.OTLP_ENDPOINT, "ftp://collector")  # may be meant for another program
    assert telemetry.configure(service="protoplay-test") is False
    assert not telemetry.enabled()
    assert f"{Env.OTLP_ENDPOINT}: 'ftp://collector' is not an http(s) URL" in caplog.text


def test_without_the_otel_extra_the_flag_says_how_to_install_it():
    ran = _run(
        """
        import sys
        sys.modules["opentelemetry.exporter.otlp.proto.http.trace_exporter"] = None  # not installed
        from agents import telemetry
        try:
            telemetry.configure(service="protoplay-test", endpoint="http://127.0.0.1:4318")
        except telemetry.TelemetryError as exc:
            print(exc)
        assert not telemetry.enabled()
        """
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == (
        "--otlp-endpoint: exporting OpenTelemetry spans needs the otel extra: pip install 'protoplay[otel]'"
    )


def test_switching_on_installs_the_global_provider_and_tells_spawned_processes():
    with otlp_receiver() as receiver:
        ran = _run(
            f"""
            import os
            from opentelemetry import trace
            from agents import telemetry
            assert telemetry.configure(service="protoplay-test", endpoint="{receiver.url}")
            assert telemetry.configure(service="ignored") and telemetry.enabled()  # the first call holds
            print(os.environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"])
            print(os.environ["OTEL_INSTRUMENTATION_A2A_SDK_ENABLED"])
            print(sorted(telemetry.http_hooks()))
            with telemetry.agent_span("protoplay-test", conversation="c1") as span:
                headers = {{}}
                telemetry.inject_headers(headers)
                trace_id = format(span.get_span_context().trace_id, "032x")
                print(headers["traceparent"].split("-")[1] == trace_id)
            trace.get_tracer_provider().shutdown()  # exports what is left (the SDK also does it at exit)
            """
        )
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.splitlines() == [f"{receiver.url}/v1/traces", "false", "['request']", "True"]
        (span,) = receiver.spans
    assert (span.service, span.scope, span.name, span.kind) == (
        "protoplay-test",
        "protoplay",
        "invoke_agent protoplay-test",
        "INTERNAL",
    )
    assert span.attributes == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "protoplay-test",
        "gen_ai.conversation.id": "c1",
    }


def test_otel_service_name_wins_over_the_command_s_name():
    ran = _run(
        """
        from opentelemetry import trace
        from agents import telemetry
        telemetry.configure(service="protoplay-test", endpoint="http://127.0.0.1:9")
        print(trace.get_tracer_provider().resource.attributes["service.name"])
        """,
        OTEL_SERVICE_NAME="my-agents",
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "my-agents"
