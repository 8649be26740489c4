"""Zugänge in a real browser: the admin creates a clerk (nothing typed first: the error summary, focused) and gives
the clerk the other cooperative (without one first: refused, focused); the clerk opens the mailed set-up link, sets
a password, signs in, enrols the second factor (the code computed with pyotp) and sees the Übersicht. With
JavaScript at desktop width and without it at 360 px; axe on every page."""

import re

import pyotp
import pytest

from tests.browser.helpers import (
    assert_accessible,
    assert_no_horizontal_scroll,
    control,
    expect,
    option_value,
    unexpected_errors,
    wait_for_mail,
)
from tests.helpers import mail_text

pytestmark = pytest.mark.browser

PASSWORD = "Lange-Tinte-im-Archivschrank"


def check(page, phone: bool) -> None:
    assert_accessible(page)
    if phone:
        assert_no_horizontal_scroll(page)


def create_clerk(page, name: str, email: str) -> None:
    """On „Zugang anlegen“: a clerk of Lipsia, saved."""
    control(page, "Name").fill(name)
    control(page, "E-Mail-Adresse").fill(email)
    control(page, "Rolle").select_option(label="Sachbearbeitung")
    cooperative = control(page, "Genossenschaft")
    cooperative.select_option(option_value(cooperative, "Lipsia"))
    page.get_by_role("button", name="Zugang anlegen").click()
    expect(page.locator(".notice--success")).to_contain_text(f"Der Zugang für {name} ist angelegt")


def set_up_account(clerk, link: str, email: str, look=lambda page: None) -> None:
    """The colleague with the mailed set-up link: the password, the first sign-in, the second factor (the code
    computed with pyotp), the recovery codes, the Übersicht; ``look`` checks pages on the way."""
    clerk.goto(link)
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Zugang einrichten")
    look(clerk)
    clerk.get_by_label("Passwort", exact=True).fill(PASSWORD)
    clerk.get_by_label("Passwort wiederholen").fill(PASSWORD)
    clerk.get_by_role("button", name="Passwort speichern").click()
    expect(clerk.locator(".notice--success")).to_contain_text("Ihr Zugang ist eingerichtet")
    clerk.get_by_label("E-Mail-Adresse").fill(email)
    clerk.get_by_label("Passwort", exact=True).fill(PASSWORD)
    clerk.get_by_role("button", name="Anmelden", exact=True).click()
    expect(clerk).to_have_url(re.compile(r"/zwei-faktor/einrichten$"))
    look(clerk)
    secret = clerk.locator("#totp-secret").inner_text().replace(" ", "")
    clerk.get_by_label("Bestätigungscode aus Ihrer Authenticator-App").fill(pyotp.TOTP(secret).now())
    clerk.get_by_role("button", name="Einrichten").click()
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Ihre Wiederherstellungscodes")
    clerk.get_by_role("link", name="Weiter zum Mitarbeiterbereich").click()
    expect(clerk).to_have_url(re.compile(r"/intern/$"))
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Mitarbeiterbereich")


@pytest.mark.parametrize("viewport, javascript, name, email", [
    ("desktop", True, "Petra Neumann", "p.neumann@lipsia.example.org"),
    ("phone", False, "Karl Kühn", "k.kuehn@lipsia.example.org"),
])
def test_an_admin_creates_a_clerk_who_sets_up_the_account(new_page, demo_logins, live_server, mailbox, viewport,
                                                          javascript, name, email):
    phone = viewport == "phone"
    page = new_page(viewport, javascript=javascript, user=demo_logins["admin"])
    page.goto("/intern/zugaenge")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zugänge der Mitarbeiterinnen und Mitarbeiter")
    check(page, phone)
    page.get_by_role("link", name="Zugang anlegen").click()
    page.get_by_role("button", name="Zugang anlegen").click()  # nothing typed: the summary, focused
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("#name-error")).to_contain_text("Bitte geben Sie den Namen ein.")
    check(page, phone)
    create_clerk(page, name, email)
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    check(page, phone)
    # Rolle: a clerk without a cooperative is refused next to the field (the summary focused), then saved
    cooperative = control(page, "Genossenschaft")
    cooperative.select_option("")
    page.get_by_role("button", name="Rolle speichern").click()
    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.locator("#cooperative-error")).to_contain_text("Bitte wählen Sie die Genossenschaft")
    check(page, phone)
    cooperative = control(page, "Genossenschaft")
    cooperative.select_option(option_value(cooperative, "Elsteraue"))
    page.get_by_role("button", name="Rolle speichern").click()
    expect(page.locator(".notice--success")).to_contain_text(f"{name} hat jetzt die Rolle Sachbearbeitung bei der")

    link = re.search(re.escape(live_server.url) + r"(/zugang-einrichten/\S+)",
                     mail_text(wait_for_mail(mailbox, email, "Ihr Zugang zum WIR-immerda-Serviceportal"))).group(1)
    clerk = new_page(viewport, javascript=javascript)
    set_up_account(clerk, link, email, lambda step: check(step, phone))
    expect(clerk.locator("main")).to_contain_text(name)
    expect(clerk.locator("main")).to_contain_text("Elsteraue")
    check(clerk, phone)
    assert not unexpected_errors(page) and not unexpected_errors(clerk)
