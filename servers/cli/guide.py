"""What ``protoplay`` with no arguments prints: five things a newcomer can do next, each a command to copy.

Every command here is run (or, for Claude Desktop, installed into a temporary config) by
``tests/servers/cli/test_guide.py``, so the guide cannot drift from what the commands do.
"""

from __future__ import annotations

__all__ = ["GUIDE_COMMANDS", "first_run_guide"]

GUIDE_COMMANDS = (
    'protoplay ask "entropy of [0.5, 0.25, 0.25] in bits"',
    "protoplay chat",
    "protoplay tools",
    'protoplay call kl_divergence \'{"p": [0.5, 0.5], "q": [0.9, 0.1]}\'',
    "protoplay demo backbone-for-phone",
    "protoplay mcp-config --install",
)
"""The commands the guide shows, in order."""


def first_run_guide(model: str) -> str:
    """The guide, with ``model`` (one line saying which model answers) on top."""
    ask, chat, tools, call, demo, claude = GUIDE_COMMANDS
    return f"""\
protoplay: ML tools over three agent protocols (MCP, function calling, A2A).
model: {model}

Five things to try:

  1. Ask one question; the agent calls a tool and answers:
       {ask}
  2. Chat with the agent (tool calls shown, memory kept; /help inside):
       {chat}
  3. List the tools, then call one yourself with JSON arguments:
       {tools}
       {call}
  4. Watch two agents talk over A2A (a coordinator and an ML specialist):
       {demo}
  5. Use the tools from Claude Desktop over MCP (then restart Claude Desktop):
       {claude}

Check the install: protoplay doctor. Every command: protoplay --help.
"""
