"""Everything that listens, and the command line: MCP server, A2A servers, offline model endpoint."""
