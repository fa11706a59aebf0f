"""The web console: static pages (agent workbench, buyer chat, QA console, supervisor dashboard,
login) served by the gateway from the installed package, and the links that open them.

The pages talk to the gateway only through its public interfaces: the websocket protocol
(docs/protocol.md) and the HTTP API (docs/api.md), so every permission is enforced by the API."""
