"""The agent's side of MCP: the client toolbox over a connected MCP session."""
