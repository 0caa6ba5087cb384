"""gunicorn settings for a production server and the load benchmark:

    gunicorn -c python:tsunagu.config.gunicorn tsunagu.config.wsgi

The application is loaded once in the master before the workers are forked (`preload_app`): the
URL configuration, every view, the PDF and chart libraries and the reading dictionary of person
search (together about 200 MB) are then shared by all workers instead of copied into each. The
garbage collector is told to leave those objects alone (`gc.freeze`), because its visits would
write to their pages and so copy them into every worker after all. A worker is replaced after
about 2,000 requests, so that memory a rare large request leaves behind (a dashboard of a big
city, an annual report) does not stay for the worker's life.
"""

from __future__ import annotations

import gc
import os
from typing import Any

bind = os.environ.get("TSUNAGU_BIND", "127.0.0.1:8000")
# gunicorn's rule of thumb: while one worker waits for the database, another computes
workers = int(os.environ.get("TSUNAGU_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
preload_app = True
max_requests = 2000
max_requests_jitter = 200
timeout = 120


def when_ready(server: Any) -> None:
    """In the master, after the application is loaded and before the first fork."""
    from django.db import connections

    connections.close_all()  # a worker must open its own connections, never share the master's
    gc.collect()
    gc.freeze()
