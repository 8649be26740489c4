"""Public pages: Impressum, Datenschutz, Barrierefreiheit, the web app manifest, icons, health check."""

from flask import Blueprint, abort, jsonify, make_response, url_for

from wir.db import database
from wir.icons import SIZES, icon_png
from wir.models import Cooperative
from wir.rendering import render

bp = Blueprint("pages", __name__)


def _cooperatives():
    return list(Cooperative.select().order_by(Cooperative.name))


@bp.route("/impressum")
def imprint():
    return render("pages/imprint.html", cooperatives=_cooperatives())


@bp.route("/datenschutz")
def privacy():
    return render("pages/privacy.html", cooperatives=_cooperatives())


@bp.route("/barrierefreiheit")
def accessibility():
    return render("pages/accessibility.html", cooperatives=_cooperatives())


@bp.route("/nutzungsbedingungen")
def terms():
    return render("pages/terms.html", cooperatives=_cooperatives())


@bp.route("/manifest.webmanifest")
def manifest():
    response = jsonify(
        {
            "name": "WIR-immerda-Serviceportal",
            "short_name": "WIR-immerda",
            "description": "Serviceportal der WG „Lipsia“ eG und der WG „Elsteraue“ eG",
            "lang": "de",
            "start_url": url_for("home.index"),
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#003d7a",
            "icons": [
                {
                    "src": url_for("pages.icon", size=size),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any maskable",
                }
                for size in SIZES
            ],
        }
    )
    response.content_type = "application/manifest+json"
    return response


@bp.route("/icons/icon-<int:size>.png")
def icon(size: int):
    if size not in SIZES:
        abort(404)
    response = make_response(icon_png(size))
    response.content_type = "image/png"
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@bp.route("/healthz")
def healthz():
    try:
        database.execute_sql("SELECT 1")
    except Exception:  # any database failure means: not healthy
        return "Datenbank nicht erreichbar\n", 503, {"Content-Type": "text/plain; charset=utf-8"}
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
