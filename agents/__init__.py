"""Protocol clients and agent logic (function-calling loop, memory, offline model, A2A client)."""
