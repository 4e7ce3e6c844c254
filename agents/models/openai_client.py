"""What the two OpenAI wires share: a model behind an ``openai.AsyncOpenAI`` client, and the endpoint's
failures as the sentence a user reads. Chat completions (:mod:`agents.models.openai`) and the Responses API
(:mod:`agents.models.openai_responses`) differ only in what they send and how they read the reply."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from agents.errors import ModelAPIError

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = ["OpenAIClientModel", "describe_api_error"]


class OpenAIClientModel:
    """A model reached through an ``openai.AsyncOpenAI`` client (subclasses implement ``stream``).

    Retries (429, 5xx, timeouts, connection errors) are the client's own (``max_retries``); once they are
    spent the failure becomes one :class:`ModelAPIError` with a readable message. A stream broken mid-way is
    not retried (the client cannot know what was already shown).
    """

    def __init__(self, client: AsyncOpenAI, model: str, *, stream: bool = True, **settings: Any) -> None:
        self.client = client
        self.name = model
        self.streaming = stream
        self.settings = settings
        """Extra request fields (``temperature``, ``max_tokens``...), passed through unchanged."""

    @property
    def where(self) -> str:
        """The endpoint, for messages."""
        return str(self.client.base_url).rstrip("/")

    @contextmanager
    def endpoint_failures(self) -> Iterator[None]:
        """Turn what the client raises once its retries are spent into one :class:`ModelAPIError`."""
        import httpx2
        import openai

        try:
            yield
        except openai.APIError as exc:
            status = getattr(exc, "status_code", None)
            raise ModelAPIError(describe_api_error(exc, self.client), status_code=status) from exc
        except httpx2.HTTPError as exc:  # a stream broken mid-way is not retried by the client
            raise ModelAPIError(
                f"The connection to the model endpoint at {self.where} broke mid-reply: {exc}"
            ) from exc

    async def aclose(self) -> None:
        """Close the HTTP client (its connection pool)."""
        await self.client.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, base_url={str(self.client.base_url)!r})"


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
