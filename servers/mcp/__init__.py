"""The MCP server: the catalogue as tools, the notes as resources, guided prompts, Claude Desktop config."""
