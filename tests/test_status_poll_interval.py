"""The Meldungen lists (the tenant's and the staff's queue) ask for status changes every STATUS_POLL_SECONDS:
15 s unless configured otherwise (the browser tests' live server asks every second, so that they need not wait
for a real poll)."""

import re

import pytest

DEFAULT, CONFIGURED = "every 15s", "every 2s"


def trigger(response, element_id: str) -> str:
    body = response.get_data(as_text=True)
    return re.search(rf'id="{element_id}" hidden\s+hx-get="[^"]*"\s+hx-trigger="([^"]+)"', body).group(1)


@pytest.mark.parametrize(("seconds", "expected"), [(None, DEFAULT), (2, CONFIGURED)], ids=["default", "configured"])
def test_the_tenants_list_polls_at_the_configured_interval(app, client, auth, seconds, expected):
    if seconds:
        app.config["STATUS_POLL_SECONDS"] = seconds
    auth.login_as()
    assert trigger(client.get("/meldungen"), "status-poll") == expected


@pytest.mark.parametrize(("seconds", "expected"), [(None, DEFAULT), (2, CONFIGURED)], ids=["default", "configured"])
def test_the_staff_queue_polls_at_the_configured_interval(app, client, auth, seconds, expected):
    if seconds:
        app.config["STATUS_POLL_SECONDS"] = seconds
    auth.login_staff()
    assert trigger(client.get("/intern/meldungen"), "queue-poll") == expected
