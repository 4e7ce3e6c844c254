"""Configuration, defined once: the environment variables protoplay reads, its defaults, where its data lives
and which model it talks to (flags first, then the environment). Every layer reads these names from here."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from agents.errors import AgentError

__all__ = [
    "AGENT_NAME",
    "DEFAULTS",
    "MCP_TOKEN_ENV",
    "OFFLINE_MODEL_NAME",
    "Defaults",
    "Env",
    "HomeError",
    "ModelAPI",
    "ModelConfig",
    "SetupError",
    "protoplay_home",
    "resolve_mcp_token",
    "resolve_model_config",
]


class Env(StrEnum):
    """The environment variables protoplay reads (flags win over them)."""

    HOME = "PROTOPLAY_HOME"
    """Data directory: memory.db, tasks.db, traces, images, logs (default: the user data dir)."""
    MODEL = "PROTOPLAY_MODEL"
    """Model name sent to an OpenAI-compatible endpoint."""
    API = "PROTOPLAY_API"
    """The wire to the model: ``chat`` (chat completions, the default) or ``responses`` (Responses API)."""
    OPENAI_BASE_URL = "OPENAI_BASE_URL"
    """OpenAI-compatible base URL (``.../v1``)."""
    OPENAI_API_KEY = "OPENAI_API_KEY"
    """Bearer key of that endpoint."""
    MCP_TOKEN = "PROTOPLAY_MCP_TOKEN"
    """Bearer token of a streamable-HTTP MCP server: required by ``serve mcp``, sent by the agent."""
    A2A_TOKEN = "PROTOPLAY_A2A_TOKEN"
    """Bearer token an A2A server requires."""
    A2A_PEER_TOKEN = "PROTOPLAY_A2A_PEER_TOKEN"
    """Bearer token sent to other A2A agents (the coordinator's peers, the command-line client's agent)."""
    A2A_TOKENS = "PROTOPLAY_A2A_TOKENS"
    """File of ``TOKEN NAME`` lines an A2A server accepts, one principal per name."""
    OTLP_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
    """OpenTelemetry collector's OTLP/HTTP base URL (spans go to ``URL/v1/traces``); export is off without
    it, ``--otlp-endpoint`` or the next variable."""
    OTLP_TRACES_ENDPOINT = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    """The full URL spans are posted to (wins over ``OTEL_EXPORTER_OTLP_ENDPOINT``)."""
    OTEL_SERVICE_NAME = "OTEL_SERVICE_NAME"
    """The ``service.name`` of this process's spans (default: ``protoplay-agent``, ``protoplay-mcp``...)."""
    OTEL_SDK_DISABLED = "OTEL_SDK_DISABLED"
    """``true`` keeps OpenTelemetry export off whatever else is set."""
    A2A_SDK_SPANS = "OTEL_INSTRUMENTATION_A2A_SDK_ENABLED"
    """a2a-sdk's own method-level spans; protoplay sets it to ``false`` (unless set) before the SDK loads."""


@dataclass(frozen=True)
class Defaults:
    """Defaults shared by the CLI, the runtime and the servers."""

    max_steps: int = 8
    """Model requests allowed per turn."""
    context_tokens: int = 8000
    """Short-term memory budget per request."""
    recall_limit: int = 3
    """Recalled memories injected into each turn."""
    mcp_http_port: int = 8765
    llm_port: int = 8000
    specialist_port: int = 9101
    coordinator_port: int = 9100
    replica_heartbeat_s: float = 5.0
    """How often an A2A server records that it is alive in its task store (and looks for dead ones)."""
    replica_timeout_s: float = 30.0
    """Heartbeat silence after which a replica is taken for dead and its in-flight tasks are failed."""


DEFAULTS = Defaults()

#: The name the function-calling agent goes by (trace events it records, the User-Agent of its A2A requests;
#: in OpenTelemetry its service and the agent of its ``invoke_agent`` spans, one per turn).
AGENT_NAME = "protoplay-agent"

#: The name the built-in offline model answers to (``/v1/models``, banners, traces).
OFFLINE_MODEL_NAME = "protoplay-offline"

#: Used when a key or base URL is configured but no model name is.
DEFAULT_REMOTE_MODEL = "gpt-4o-mini"

#: The bearer token of a streamable-HTTP MCP server; the same variable ``protoplay serve mcp`` reads.
MCP_TOKEN_ENV = Env.MCP_TOKEN.value


class SetupError(AgentError):
    """The data directory or a file in it cannot be used; the user has to fix it (the CLI exits with 2)."""


class HomeError(SetupError):
    """``$PROTOPLAY_HOME`` (or the default data directory) is not a usable directory."""


def protoplay_home() -> Path:
    """``$PROTOPLAY_HOME``, else the user data dir; created on first use.

    Raises :class:`HomeError` (naming the variable) when it is not a directory, cannot be created, or
    refuses a new file.
    """
    configured = os.environ.get(Env.HOME)
    if configured:
        home = Path(configured).expanduser()
        label = Env.HOME.value
    else:
        import platformdirs

        home = Path(platformdirs.user_data_dir("protoplay"))
        label = f"the data directory (set {Env.HOME} to use another)"
    if home.exists() and not home.is_dir():
        raise HomeError(f"{label}: {home} is not a directory")
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HomeError(f"{label}: cannot create {home}: {exc.strerror or exc}") from None
    problem = _write_problem(str(home))
    if problem:
        raise HomeError(f"{label}: cannot write in {home} ({problem}); point it at a directory you can write")
    return home


@functools.cache
def _write_problem(directory: str) -> str:
    """Why no file can be created in ``directory`` ('' when one can), found by creating one (permissions alone
    do not tell: a read-only file system, or root on /sys). Checked once per directory and process."""
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=directory):
            return ""
    except OSError as exc:
        return exc.strerror or str(exc)


class ModelAPI(StrEnum):
    """The wire an OpenAI-compatible model is reached over."""

    CHAT = "chat"
    """``POST /chat/completions``: what OpenAI, Ollama, vLLM and llama.cpp all serve."""
    RESPONSES = "responses"
    """``POST /responses``: OpenAI's Responses API (and ``protoplay serve llm``)."""


@dataclass(frozen=True)
class ModelConfig:
    """Which chat-completions endpoint to use. ``offline`` means the built-in model on an in-process
    transport."""

    model: str
    """Model name sent in each request."""
    base_url: str | None
    """OpenAI-compatible base URL (``.../v1``); ``None`` means the openai client's default
    (api.openai.com)."""
    api_key: str | None
    """Bearer key; ``None`` for endpoints that need none (a local Ollama or ``protoplay serve llm``)."""
    offline: bool
    """True when neither a key nor a base URL was given: the built-in offline model answers."""
    api: ModelAPI = ModelAPI.CHAT
    """The wire: chat completions or the Responses API."""

    def describe(self) -> str:
        """One line for banners: which model, and where."""
        wire = " over the Responses API" if self.api == ModelAPI.RESPONSES else ""
        if self.offline:
            return (
                f"{self.model} (built-in offline model{wire}; set OPENAI_API_KEY or OPENAI_BASE_URL to use "
                "another)"
            )
        return f"{self.model} at {self.base_url or 'https://api.openai.com/v1'}{wire}"


def resolve_model_config(
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    api: str | None = None,
) -> ModelConfig:
    """Flags win over ``PROTOPLAY_MODEL``, ``OPENAI_BASE_URL``, ``OPENAI_API_KEY`` and ``PROTOPLAY_API``.

    With no key and no base URL at all, the offline model is chosen (whatever ``model`` says, unless it names
    the offline model explicitly, which is the same thing). An ``api`` that names no wire is a
    :class:`SetupError` naming the values it may take.
    """
    base_url = base_url or os.environ.get(Env.OPENAI_BASE_URL) or None
    api_key = api_key or os.environ.get(Env.OPENAI_API_KEY) or None
    model = model or os.environ.get(Env.MODEL) or None
    wire = _model_api(api or os.environ.get(Env.API) or ModelAPI.CHAT.value)
    if (base_url is None and api_key is None) or (model == OFFLINE_MODEL_NAME and base_url is None):
        return ModelConfig(model=OFFLINE_MODEL_NAME, base_url=None, api_key=None, offline=True, api=wire)
    return ModelConfig(
        model=model or DEFAULT_REMOTE_MODEL, base_url=base_url, api_key=api_key, offline=False, api=wire
    )


def _model_api(value: str) -> ModelAPI:
    try:
        return ModelAPI(value.strip().lower())
    except ValueError:
        choices = ", ".join(api.value for api in ModelAPI)
        raise SetupError(f"{Env.API}: {value!r} is not a model API; use one of {choices}") from None


def resolve_mcp_token(token: str | None = None) -> str | None:
    """The bearer token sent to a streamable-HTTP MCP server: ``token`` (the flag), else
    ``$PROTOPLAY_MCP_TOKEN``; ``None`` (send no ``Authorization`` header) when neither is set or both are
    empty."""
    return token or os.environ.get(MCP_TOKEN_ENV) or None
