"""htmx served from its PyPI package (django-js-lib-htmx), never from a CDN or a copied file."""

from pathlib import Path

import js_lib_htmx
from flask import Blueprint

bp = Blueprint(
    "vendor",
    __name__,
    static_folder=str(Path(js_lib_htmx.__file__).parent / "static" / "htmx"),
    static_url_path="/static/vendor/htmx",
)
