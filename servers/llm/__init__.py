"""The offline model as an OpenAI-compatible HTTP endpoint."""
