"""The layout in a real browser: accessible at 1280 and 360 px, usable without JavaScript, enhanced with it."""

import re

import pytest

from tests.browser.helpers import (
    LOGIN_FAILED,
    assert_accessible,
    assert_no_horizontal_scroll,
    expect,
    javascript_runs,
    login,
    path_of,
    wait_for_htmx,
)

pytestmark = pytest.mark.browser

# (who is signed in, path, expected status); who is a key of the `users` fixture or None
PAGES = [
    pytest.param(None, "/anmelden", 200, id="anmelden"),
    pytest.param(None, "/impressum", 200, id="impressum"),
    pytest.param(None, "/datenschutz", 200, id="datenschutz"),
    pytest.param(None, "/barrierefreiheit", 200, id="barrierefreiheit"),
    pytest.param(None, "/gibt-es-nicht", 404, id="404"),
    pytest.param("tenant", "/", 200, id="startseite"),
    pytest.param("tenant", "/dokumente/", 200, id="dokumente"),
    pytest.param("tenant", "/vertraege/", 200, id="vertraege"),
    pytest.param("saver", "/sparen/", 200, id="sparen"),
    pytest.param("tenant", "/kontakt", 200, id="kontakt"),
    pytest.param("tenant", "/meldungen", 200, id="meldungen"),
    pytest.param("tenant", "/konto/kontaktdaten", 200, id="kontaktdaten"),
    pytest.param("tenant", "/konto/anschrift", 200, id="anschrift"),
    pytest.param("tenant", "/konto/passwort", 200, id="passwort"),
    pytest.param("staff", "/intern/", 200, id="intern"),
]

MAIN_NAV = [
    ("Startseite", "/"),
    ("Dokumente", "/dokumente/"),
    ("Verträge", "/vertraege/"),
    ("Kontakt", "/kontakt"),
    ("Meldungen", "/meldungen"),
]


def main_nav(page):
    return page.get_by_role("navigation", name="Hauptmenü")


@pytest.mark.parametrize(("who", "path", "status"), PAGES)
def test_page_is_accessible(new_page, users, who, path, status):
    """On a phone; at 1280 px the accessibility walk (test_accessibility_walk.py) checks every page."""
    page = new_page("phone", user=users[who] if who else None)
    response = page.goto(path)
    assert response.status == status, f"{path}: HTTP {response.status}"
    assert path_of(page) == path, f"{path} was redirected to {page.url}"
    # axe runs under the app's own strict CSP (page.evaluate is not bound by it)
    assert "script-src 'self';" in response.headers["content-security-policy"]
    expect(page.locator("h1")).to_have_count(1)
    assert_accessible(page)
    # no CSP refusals, script errors or failed loads (except the error page's own status)
    expected = f"the server responded with a status of {status}" if status >= 400 else None
    errors = [e for e in page.wir_console_errors if not (expected and expected in e)]
    assert not errors, f"{path}: console errors {errors}"
    assert_no_horizontal_scroll(page, 360)


def test_without_javascript_login_navigation_and_logout(nojs_page, users):
    page, user = nojs_page, users["logout"]
    page.goto("/anmelden")
    assert page.evaluate("typeof window.htmx") == "undefined", "JavaScript should be off in this context"
    assert_accessible(page)  # axe runs in a JavaScript-enabled twin of this page

    login(page, user)
    assert path_of(page) == "/"
    for label, path in MAIN_NAV:
        main_nav(page).get_by_role("link", name=label, exact=True).click()
        expect(page).to_have_url(re.compile(re.escape(path) + r"$"))
        expect(main_nav(page).get_by_role("link", name=label, exact=True)).to_have_attribute("aria-current", "page")

    menu = page.locator("details.user-menu")
    summary = menu.locator("summary")
    expect(summary).to_contain_text(user["name"])
    logout_button = menu.get_by_role("button", name="Abmelden")
    expect(logout_button).to_be_hidden()
    summary.click()
    expect(menu).to_have_attribute("open", "")
    logout_button.click()

    expect(page).to_have_url(re.compile(r"/anmelden$"))
    expect(page.get_by_role("heading", level=1, name="Anmelden")).to_be_visible()
    expect(page.get_by_text("Sie haben sich abgemeldet.")).to_be_visible()
    page.goto("/")
    assert path_of(page) == "/anmelden", f"/ after logout led to {page.url}"
    expect(page.get_by_label("E-Mail-Adresse")).to_be_visible()


def test_with_javascript_login_error_is_swapped_in_without_reload(page, users):
    page.goto("/anmelden")
    wait_for_htmx(page)
    page.evaluate("window.wirNoReload = 'still here'")

    page.get_by_label("E-Mail-Adresse").fill(users["wrong_password"]["email"])
    page.get_by_label("Passwort", exact=True).fill("Falsches-Passwort-123")
    page.get_by_role("button", name="Anmelden").click()

    password = page.get_by_label("Passwort", exact=True)
    field = page.locator(".field", has=password)
    expect(field.get_by_text(LOGIN_FAILED)).to_be_visible()
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_accessible_description(re.compile(re.escape(LOGIN_FAILED)))
    assert page.evaluate("window.wirNoReload") == "still here", "the page was reloaded instead of swapped"
    assert path_of(page) == "/anmelden"

    # the right password then signs in through htmx as well
    password.fill(users["wrong_password"]["password"])
    page.get_by_role("button", name="Anmelden").click()
    expect(page.locator("details.user-menu summary")).to_contain_text(users["wrong_password"]["name"])
    assert path_of(page) != "/anmelden"
    errors = [e for e in page.wir_console_errors if "status of 422" not in e]  # the invalid form's answer
    assert not errors, f"console errors: {errors}"


@pytest.mark.parametrize(("who", "sees_savings"), [("tenant", False), ("saver", True), ("both", True)])
def test_sparen_only_for_tenants_of_a_cooperative_with_savings(new_page, users, who, sees_savings):
    page = new_page(user=users[who])
    page.goto("/")
    expect(main_nav(page).get_by_role("link", name="Startseite", exact=True)).to_be_visible()
    sparen = main_nav(page).get_by_role("link", name="Sparen", exact=True)
    if sees_savings:
        sparen.click()
        expect(page).to_have_url(re.compile(r"/sparen/$"))
    else:
        expect(sparen).to_have_count(0)
        assert page.goto("/sparen/").status == 404


def test_javascript_probe_tells_the_contexts_apart(page, nojs_page):
    page.goto("/anmelden")
    nojs_page.goto("/anmelden")
    assert javascript_runs(page)
    assert not javascript_runs(nojs_page, wait_seconds=0.3)


def test_assert_accessible_reports_serious_violations(page):
    page.goto("/impressum")
    page.evaluate("document.querySelector('main').append(document.createElement('img'))")  # no alt
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page)
