"""The A2A servers: app, card, auth, task store, executor, the specialist and coordinator, demos."""
