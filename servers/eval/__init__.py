"""``protoplay eval``: score a model on a question set, end to end through the agent and its MCP tools."""
