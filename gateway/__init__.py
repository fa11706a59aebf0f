"""ReplyGuard gateway: CLI, settings, and (from the gateway issue on) the websocket proxy."""

__version__ = "0.1.0"
