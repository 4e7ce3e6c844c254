"""The model behind a small interface (:class:`Model`): the OpenAI-compatible client
(:mod:`agents.models.openai`), test models that ship with the package (:mod:`agents.models.testing`), and the
built-in offline model (:mod:`agents.models.offline`)."""

from agents.models.base import Model

__all__ = ["Model"]
