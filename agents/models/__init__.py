"""The model behind a small interface: the OpenAI-compatible client, test models, the offline model."""
