"""`agents.runtime.open_model`: the one place agents get their model and close it."""

from __future__ import annotations

from contextlib import AsyncExitStack

from agents.config import resolve_model_config
from agents.models.openai import OpenAIModel
from agents.models.testing import ScriptedModel
from agents.runtime import open_model


async def test_a_built_model_is_closed_with_the_stack():
    async with AsyncExitStack() as stack:
        model = open_model(stack, resolve_model_config())
        assert isinstance(model, OpenAIModel) and not model.client.is_closed()
    assert model.client.is_closed()


async def test_an_override_is_used_as_is():
    scripted = ScriptedModel([])
    async with AsyncExitStack() as stack:
        assert open_model(stack, resolve_model_config(), scripted) is scripted
