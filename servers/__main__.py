"""Entry point of the ``protoplay`` script and of ``python -m servers``.

Start-up fast path: Claude Desktop and the agent spawn ``protoplay serve mcp`` often and wait for it, and the
goal is a start as quick as a bare MCP server's; typer plus the other capabilities' command modules would add
~5 % to it. So exactly that command line is handed to the function the ``serve mcp`` command itself calls for
stdio (:func:`servers.mcp.server.serve_spawned`) before the CLI is imported: same behaviour, sooner.
"""

from __future__ import annotations

import sys

__all__ = ["main"]

_STDIO_MCP = (["serve", "mcp"], ["serve", "mcp", "--transport", "stdio"])


def main() -> None:
    if sys.argv[1:] in _STDIO_MCP:
        from servers.mcp.server import serve_spawned

        sys.exit(serve_spawned())
    from servers.cli.main import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
