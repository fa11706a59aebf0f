"""Structured logs: one JSON object per line on stderr (time, level, logger, message, and the
exception when there is one), for the gateway and uvicorn alike."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

# uvicorn logs websocket paths with their query string: a token there would be a credential in
# the logs.
_TOKEN = re.compile(r"(token=)[^&\s\"]+")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": _TOKEN.sub(r"\1***", record.getMessage()),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure(level: str = "info") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
