"""JSON logs, one object per line, with the fields of logging.yaml's `json` formatter."""

from __future__ import annotations

import contextvars
import json
import logging
import logging.handlers
import sys
import time

from .config import Settings

# the request being served (set by the middleware), logged with every record
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        rid = request_id.get()
        doc = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "module": record.module,
            "function": record.funcName,
            "line": record.lineno,
            # logging.yaml's format names trace and span ids: the request id stands in for
            # both until a tracer is configured
            "trace_id": rid,
            "span_id": "",
        }
        for key in ("status", "latency_ms", "method", "route"):
            if hasattr(record, key):
                doc[key] = getattr(record, key)
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


def setup(settings: Settings) -> None:
    if settings.log_format == "json":
        formatter: logging.Formatter = JsonFormatter()
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    if settings.log_file:
        # logging.yaml handlers.file: 100 MB x 10. One file per worker process would be
        # needed for safe rotation with several workers, so it is opt-in (LOG_FILE).
        handlers.append(
            logging.handlers.RotatingFileHandler(
                settings.log_file, maxBytes=104857600, backupCount=10, encoding="utf-8"
            )
        )
    root = logging.getLogger()
    root.handlers.clear()
    for h in handlers:
        h.setFormatter(formatter)
        root.addHandler(h)
    root.setLevel(settings.log_level)
    for name, level in settings.log_targets.items():
        logger = logging.getLogger(name)
        if level is None:
            logger.disabled = True
        else:
            logger.setLevel(level)
    # uvicorn's own loggers write through ours (one format on stdout)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
    # the middleware logs every request; uvicorn's access log would be a second line
    logging.getLogger("uvicorn.access").disabled = True
