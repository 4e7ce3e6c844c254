"""Where the agent's data lives and which model it talks to: flags first, then the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from agents.errors import AgentError

__all__ = [
    "MCP_TOKEN_ENV",
    "OFFLINE_MODEL_NAME",
    "HomeError",
    "ModelConfig",
    "SetupError",
    "protoplay_home",
    "resolve_mcp_token",
    "resolve_model_config",
]

#: The name the built-in offline model answers to (``/v1/models``, banners, traces).
OFFLINE_MODEL_NAME = "protoplay-offline"

#: Used when a key or base URL is configured but no model name is.
DEFAULT_REMOTE_MODEL = "gpt-4o-mini"

#: The bearer token of a streamable-HTTP MCP server; the same variable ``protoplay serve mcp`` reads.
MCP_TOKEN_ENV = "PROTOPLAY_MCP_TOKEN"


class SetupError(AgentError):
    """The data directory or a file in it cannot be used; the user has to fix it (the CLI exits with 2)."""


class HomeError(SetupError):
    """``$PROTOPLAY_HOME`` (or the default data directory) is not a usable directory."""


def protoplay_home() -> Path:
    """``$PROTOPLAY_HOME``, else the user data dir; created on first use.

    Raises :class:`HomeError` (naming the variable) when it is not a directory or cannot be created.
    """
    configured = os.environ.get("PROTOPLAY_HOME")
    if configured:
        home = Path(configured).expanduser()
        label = "PROTOPLAY_HOME"
    else:
        import platformdirs

        home = Path(platformdirs.user_data_dir("protoplay"))
        label = "the data directory (set PROTOPLAY_HOME to use another)"
    if home.exists() and not home.is_dir():
        raise HomeError(f"{label}: {home} is not a directory")
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HomeError(f"{label}: cannot create {home}: {exc.strerror or exc}") from None
    return home


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

    def describe(self) -> str:
        """One line for banners: which model, and where."""
        if self.offline:
            return (
                f"{self.model} (built-in offline model; set OPENAI_API_KEY or OPENAI_BASE_URL to use another)"
            )
        return f"{self.model} at {self.base_url or 'https://api.openai.com/v1'}"


def resolve_model_config(
    *, model: str | None = None, base_url: str | None = None, api_key: str | None = None
) -> ModelConfig:
    """Flags win over ``PROTOPLAY_MODEL``, ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``.

    With no key and no base URL at all, the offline model is chosen (whatever ``model`` says, unless it names
    the offline model explicitly, which is the same thing).
    """
    base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
    api_key = api_key or os.environ.get("OPENAI_API_KEY") or None
    model = model or os.environ.get("PROTOPLAY_MODEL") or None
    if (base_url is None and api_key is None) or (model == OFFLINE_MODEL_NAME and base_url is None):
        return ModelConfig(model=OFFLINE_MODEL_NAME, base_url=None, api_key=None, offline=True)
    return ModelConfig(model=model or DEFAULT_REMOTE_MODEL, base_url=base_url, api_key=api_key, offline=False)


def resolve_mcp_token(token: str | None = None) -> str | None:
    """The bearer token sent to a streamable-HTTP MCP server: ``token`` (the flag), else
    ``$PROTOPLAY_MCP_TOKEN``; ``None`` (send no ``Authorization`` header) when neither is set or both are
    empty."""
    return token or os.environ.get(MCP_TOKEN_ENV) or None
