"""The web playground (`protoplay ui`): one Starlette app over the agent runtime; API, events, page."""
