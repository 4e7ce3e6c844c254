"""The agent's side of A2A: the peer client, task following and the coordinator's delegation tools."""
