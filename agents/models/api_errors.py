"""The failures of an OpenAI-compatible endpoint, as the sentence a user reads (both wires share them)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = ["describe_api_error"]


def describe_api_error(exc: Exception, client: AsyncOpenAI) -> str:
    """An ``openai`` API error (after the client's retries) as one sentence naming the endpoint."""
    import openai

    where = str(client.base_url).rstrip("/")
    retries = client.max_retries
    if isinstance(exc, openai.APITimeoutError):
        return f"The model endpoint at {where} timed out (tried {retries + 1} times)."
    if isinstance(exc, openai.APIConnectionError):
        return f"Could not reach the model endpoint at {where} (tried {retries + 1} times): {exc}"
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        detail = _error_detail(exc)
        if status in (401, 403):
            return f"The model endpoint at {where} refused the API key ({status}): {detail}"
        if status == 429 or status >= 500:
            return f"The model endpoint at {where} answered {status} after {retries + 1} attempts: {detail}"
        return f"The model endpoint at {where} rejected the request ({status}): {detail}"
    return f"The model endpoint at {where} failed: {exc}"


def _error_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    text = getattr(exc, "message", None) or str(exc)
    try:
        return str(json.loads(text)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return text
