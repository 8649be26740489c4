"""WIR-immerda: the self-service portal of WG „Lipsia“ eG and WG „Elsteraue“ eG."""

import os
import secrets
from pathlib import Path

from flask import Flask


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """The portal; ``instance_path`` (default: ./instance) holds config.py, wir.db, uploads/ and mail/."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_object("wir.config")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    app.config.from_prefixed_env("WIR")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _ensure_secret_key(app)
    _derive_settings(app)

    from wir import (
        acting,
        cli,
        converters,
        db,
        errors,
        filters,
        mail,
        navigation,
        security,
        storage,
        tasks,
    )
    from wir.extensions import csrf, htmx, init_limiter
    from wir.services.account import confirmations, passwords

    storage.configure(app.config["STORAGE"], app.config["STORAGE_PATH"] or Path(app.instance_path) / "uploads")
    mail.configure(app.config, app.jinja_env, app.url_map, app.instance_path)
    confirmations.configure(app.config["SECRET_KEY"])
    passwords.configure(
        app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"], app.config["ARGON2_PARALLELISM"]
    )
    db.init_app(app)
    _hand_request_down(app)
    # before CSRFProtect: an ended session, a pending second step and the hidden internal area answer the same
    # whether or not a request carries a token
    security.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    init_limiter(app)
    errors.init_app(app)
    filters.init_app(app)
    tasks.init_app(app)
    acting.init_app(app)  # after security's checks of the session
    navigation.init_app(app)
    cli.init_app(app)
    app.url_map.converters["int"] = converters.BoundedIntegerConverter  # every route's <int:...>: see converters
    _register_blueprints(app)
    mail.announce_dev_mailbox(app)
    return app


def _ensure_secret_key(app: Flask) -> None:
    """Generate the secret key once and keep it in instance/config.py."""
    if app.config.get("SECRET_KEY"):
        return
    config_file = Path(app.instance_path) / "config.py"
    key = secrets.token_hex(32)
    try:
        fd = os.open(config_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise RuntimeError(f"SECRET_KEY fehlt: in {config_file} eintragen oder WIR_SECRET_KEY setzen.") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(f"# Generated once by WIR; keep it secret.\nSECRET_KEY = {key!r}\n")
    app.config["SECRET_KEY"] = key


def _derive_settings(app: Flask) -> None:
    config = app.config
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = "sqlite:///" + str(Path(app.instance_path) / "wir.db")
    config["RATELIMIT_STORAGE_URI"] = config["RATELIMIT_STORAGE_URL"]
    if config["DEVELOPMENT"]:
        config["SESSION_COOKIE_SECURE"] = False
        config["REMEMBER_COOKIE_SECURE"] = False


def _hand_request_down(app: Flask) -> None:
    """Services know nothing of requests; what the audit trail records of one (the client's address) is
    handed down for the request's duration."""
    from flask import request

    from wir import audit

    @app.before_request
    def _remember_client_address():
        audit.client_address.set(request.remote_addr or "")

    @app.teardown_request
    def _forget_client_address(_error):
        audit.client_address.set("")


def _register_blueprints(app: Flask) -> None:
    from wir.blueprints import (
        account,
        auth,
        consumption,
        contracts,
        devmail,
        documents,
        erp_api,
        home,
        pages,
        registration,
        representation,
        savings,
        staff,
        tickets,
        vendor,
        work_orders,
    )

    for module in (account, auth, consumption, contracts, devmail, documents, erp_api, home, pages, registration,
                   representation, savings, staff, tickets, vendor, work_orders):
        app.register_blueprint(module.bp)
