"""Verbrauch: a rental contract's monthly heating and water consumption (§ 6a HeizkostenV) and the meter readings
a tenant sends.

One blueprint; the pages are in ``pages``, Zählerstand melden in ``readings``, both adding their views to ``bp``.
"""

from flask import Blueprint

from wir.security import require_tenant

bp = Blueprint("consumption", __name__, url_prefix="/verbrauch")
bp.before_request(require_tenant)


from wir.blueprints.consumption import pages  # noqa: E402,F401
from wir.blueprints.consumption import readings  # noqa: E402,F401
