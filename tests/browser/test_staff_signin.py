"""Staff sign-in in a real browser: password, then the code of the authenticator app (computed with pyotp),
with and without JavaScript and at phone width; the admin resets a colleague's second factor and the colleague
enrols anew. axe on the code page, the enrolment page, the recovery codes, /intern/ and the Zugänge."""

import re
import time

import pyotp
import pytest

from tests.browser.helpers import assert_accessible, assert_no_horizontal_scroll, expect, path_of, unexpected_errors

pytestmark = pytest.mark.browser

CODE_LABEL = "Bestätigungscode aus Ihrer Authenticator-App"


def sign_in_with_password(page, user: dict) -> None:
    page.goto("/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(user["email"])
    page.get_by_label("Passwort", exact=True).fill(user["password"])
    page.get_by_role("button", name="Anmelden", exact=True).click()


def wrong_code(secret: str) -> str:
    """Six digits the server accepts in none of the steps around now."""
    totp, now = pyotp.TOTP(secret), time.time()
    accepted = {totp.at(now + 30 * steps) for steps in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


# one clerk per variant: a code is accepted once, and the variants may run within one 30 s window
@pytest.mark.parametrize(
    ("viewport", "javascript", "clerk"),
    [("desktop", True, 1), ("desktop", False, 2), ("phone", True, 3)],
    ids=["js", "nojs", "phone"],
)
def test_clerk_signs_in_with_password_and_code(new_page, demo_logins, viewport, javascript, clerk):
    user = demo_logins["staff"][clerk]
    page = new_page(viewport, javascript=javascript)
    sign_in_with_password(page, user)
    expect(page).to_have_url(re.compile(r"/zwei-faktor$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bestätigungscode eingeben")
    # nothing else is reachable before the second step
    page.goto("/intern/")
    assert path_of(page) == "/zwei-faktor"
    assert_accessible(page)
    if viewport == "phone":
        assert_no_horizontal_scroll(page)

    page.get_by_label(CODE_LABEL).fill(wrong_code(user["totp_secret"]))
    page.get_by_role("button", name="Anmelden", exact=True).click()
    error = page.locator("#code-error")
    expect(error).to_contain_text("Der Code ist nicht richtig.")
    expect(page.get_by_label(CODE_LABEL)).to_have_attribute("aria-invalid", "true")

    page.get_by_label(CODE_LABEL).fill(pyotp.TOTP(user["totp_secret"]).now())
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page).to_have_url(re.compile(r"/intern/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mitarbeiterbereich")
    expect(page.locator("main")).to_contain_text(user["name"])
    expect(page.locator("main")).to_contain_text(user["cooperative"])
    assert_accessible(page)
    if viewport == "phone":
        assert_no_horizontal_scroll(page)
    assert not unexpected_errors(page)


def test_admin_resets_a_second_factor_and_the_colleague_enrols_anew(new_page, demo_logins):
    admin, colleague = demo_logins["admin"], demo_logins["staff"][0]
    page = new_page("desktop")
    sign_in_with_password(page, admin)
    page.get_by_label(CODE_LABEL).fill(pyotp.TOTP(admin["totp_secret"]).now())
    page.get_by_role("button", name="Anmelden", exact=True).click()
    expect(page).to_have_url(re.compile(r"/intern/$"))
    page.get_by_role("link", name="Zugänge der Mitarbeiterinnen und Mitarbeiter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zugänge der Mitarbeiterinnen und Mitarbeiter")
    assert_accessible(page)
    page.get_by_role("link", name=f"Zweiten Faktor zurücksetzen für {colleague['name']}").click()
    expect(page.locator("main")).to_contain_text(colleague["email"])
    assert_accessible(page)
    page.get_by_role("button", name="Zweiten Faktor zurücksetzen").click()
    expect(page.locator(".notice--success")).to_contain_text("ist zurückgesetzt")

    clerk = new_page("phone", javascript=False)
    sign_in_with_password(clerk, colleague)
    expect(clerk).to_have_url(re.compile(r"/zwei-faktor/einrichten$"))
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Zwei-Faktor-Anmeldung einrichten")
    qr_code = clerk.get_by_role("img", name="QR-Code zum Einrichten der Zwei-Faktor-Anmeldung")
    expect(qr_code).to_be_visible()
    assert qr_code.evaluate("image => image.naturalWidth") > 0  # the data: URI passes the CSP
    assert_accessible(clerk)
    assert_no_horizontal_scroll(clerk)
    secret = clerk.locator("#totp-secret").inner_text().replace(" ", "")
    assert secret != colleague["totp_secret"]
    clerk.get_by_label(CODE_LABEL).fill(pyotp.TOTP(secret).now())
    clerk.get_by_role("button", name="Einrichten").click()
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Ihre Wiederherstellungscodes")
    expect(clerk.locator("#recovery-codes li")).to_have_count(10)
    assert_accessible(clerk)
    assert_no_horizontal_scroll(clerk)
    clerk.get_by_role("link", name="Weiter zum Mitarbeiterbereich").click()
    expect(clerk).to_have_url(re.compile(r"/intern/$"))
    expect(clerk.locator("main")).to_contain_text("Unbenutzte Wiederherstellungscodes: 10")
    assert not unexpected_errors(page) and not unexpected_errors(clerk)
