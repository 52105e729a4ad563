"""Static files: URLs that name their content, so that browsers keep them instead of asking again on every page.

``url_for('static', filename=...)`` adds ``v=`` and the start of the file's SHA-256. A request that carries it is
answered with a year-long, immutable ``Cache-Control`` when that is the file's version now: a new version of the
file has a new URL. Otherwise (an old page's link, a hand-typed URL) the file is served as before, revalidated
each time.

Static requests skip the user lookup (``auth.load_user``): a page's stylesheet and scripts cost no query.
"""

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, request

VERSION_ARG = "v"
YEAR = 365 * 24 * 3600


@lru_cache(maxsize=256)
def _digest(path: str, modified_ns: int, size: int) -> str:
    """The first 12 hex digits of the file's SHA-256 (time and size key the cache: an edited file is read again)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def version(folder: str, filename: str) -> str | None:
    """The version of a static file, or None when it is not a file under ``folder``."""
    root = Path(folder).resolve()
    path = (root / filename).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    stat = path.stat()
    return _digest(str(path), stat.st_mtime_ns, stat.st_size)


def init_app(app: Flask) -> None:
    @app.url_defaults
    def add_version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and VERSION_ARG not in values and "filename" in values:
            found = version(app.static_folder, values["filename"])
            if found is not None:
                values[VERSION_ARG] = found

    @app.after_request
    def cache_versioned(response):
        sent = request.args.get(VERSION_ARG)
        if (request.endpoint == "static" and sent and response.status_code in (200, 304)
                and sent == version(app.static_folder, request.view_args.get("filename", ""))):
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        return response
