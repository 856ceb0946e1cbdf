"""The live map: WebSocket consumers, broadcast after commit, presence, routing."""
