"""Vertretung (issue 21) in a real browser, once with and once without JavaScript: Gisela Weiß invites her daughter
from the menu behind her name, the daughter opens the mailed link on a phone (360 px), creates her own account,
chooses „Für Gisela Weiß“ and files a Meldung with a photo for her mother; the mother sees it „durch … für …“, a
Lipsia clerk answers it at the desk, the mother ends the representation and the daughter's next click lands on the
choice with nothing of her mother's left. axe and HTML_CodeSniffer (in the JavaScript run) on each Vertretung page on
the way (/vertretung/, the invitation, /vertretung/handeln, a page with the acting bar, the question before ending,
/vertretung/protokoll), none of them scrolling sideways at 320 px (in both runs).

With JavaScript the page after sending the invitation (htmx follows HX-Location to /vertretung/) is checked by a test
of its own at the end; the main runs go on from the mailed link.

Sign-ins (10 login POSTs a minute per address): Gisela once and the clerk once for the module, their sessions shared
by both runs; each daughter comes in through her invitation with an account of her own. The runs share the module's
live server and database, so each has a daughter of its own (name, new address) and a Meldung of its own.
"""

import re
import uuid
from dataclasses import dataclass

import pytest
from PIL import Image

from tests.browser.helpers import (
    after_swap,
    assert_accessible,
    assert_no_horizontal_scroll,
    control,
    expect,
    option_value,
    path_of,
    unexpected_errors,
    wait_for_htmx,
    wait_for_mail,
)
from tests.browser.test_tickets import choose, fact
from tests.helpers import mail_text

pytestmark = pytest.mark.browser

TENANT_EMAIL = "gisela.weiss@example.com"  # Lipsia and Elsteraue
TENANT = "Gisela Weiß"
DAUGHTER_PASSWORD = "Birne-Leiter-Wolke-77"
LIPSIA = "WG „Lipsia“ eG"
MESSAGE = "Im Bad wird der Heizkörper seit gestern nicht mehr warm. Meine Mutter ist vormittags zu Hause."
ANSWER = "Der Heizungsmonteur kommt am Donnerstag zwischen 8 und 12 Uhr."
ENDED = "Die Vertretung ist beendet oder abgelaufen."
NUMBER = r"L-\d{4}-\d{4}"  # a Lipsia Meldung
NARROW = 320


@dataclass
class Run:
    """One run of the flow: its own daughter (name, new address) and Meldung, so the two runs on the module's one
    database never take each other's."""

    javascript: bool
    daughter: str
    email: str
    subject: str

    @property
    def attribution(self) -> str:
        return f"durch {self.daughter} für {TENANT}"


@pytest.fixture(scope="module")
def gisela(demo_logins):
    return next(tenant for tenant in demo_logins["tenants"] if tenant["email"] == TENANT_EMAIL)


@pytest.fixture(scope="module")
def lipsia_clerk(demo_logins):
    return demo_logins["staff"][0]  # Sandra Köhler, Lipsia (password and code)


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "Heizkörper Bad.jpg"
    Image.new("RGB", (120, 90), (190, 70, 40)).save(path, "JPEG")
    return path


def assert_fits(page, width: int = NARROW) -> None:
    """No horizontal scroll with the page at ``width`` px; the viewport is given back afterwards."""
    size = page.viewport_size
    page.set_viewport_size({"width": width, "height": size["height"]})
    try:
        assert_no_horizontal_scroll(page, width)
    finally:
        page.set_viewport_size(size)


def assert_checked(page) -> None:
    """One h1, no scrolling sideways at 320 px, and (with JavaScript) axe and HTML_CodeSniffer clean. Without
    JavaScript axe would only check the same HTML again, in a twin context with JavaScript (helpers.axe_violations):
    the Vertretung pages have no part that differs, so the run without JavaScript leaves it out, for time."""
    expect(page.locator("h1")).to_have_count(1)
    if page.context.wir_javascript:
        assert_accessible(page)
    assert_fits(page)


def acting_bar(page):
    return page.get_by_role("region", name="Vertretung")


def open_vertretung(mother) -> None:
    """„Vertretung“ in the menu behind her name."""
    mother.goto("/")
    mother.locator("summary", has_text=TENANT).click()
    mother.get_by_role("link", name="Vertretung", exact=True).click()
    expect(mother.get_by_role("heading", level=1, name="Vertretung")).to_be_visible()
    assert path_of(mother) == "/vertretung/"


def send_invitation(mother, run: Run) -> None:
    """The invitation form on /vertretung/: the daughter for Lipsia with Lesen und Anliegen. With JavaScript htmx
    sends it and loads the page it is told to (HX-Location); this waits until that is in place."""
    if run.javascript:
        wait_for_htmx(mother)
    cooperative = control(mother, "Bei welcher Genossenschaft")
    cooperative.select_option(option_value(cooperative, LIPSIA))
    control(mother, "Vor- und Nachname der Person").fill(run.daughter)
    control(mother, "E-Mail-Adresse der Person").fill(run.email)
    level = control(mother, "Was darf die Person für Sie tun?")
    level.select_option(option_value(level, "Lesen und Anliegen"))
    send = mother.locator("#invite-form").get_by_role("button", name="Einladung senden")
    if run.javascript:
        after_swap(mother, send.click)
    else:
        send.click()


def assert_invitation_sent(mother, run: Run, timeout: float | None = None) -> None:
    """The Vertretung page again, with the message and the invitation listed as open."""
    expect(mother.get_by_role("heading", level=1, name="Vertretung")).to_be_visible(timeout=timeout)
    expect(mother.locator(".notice--success")).to_contain_text(
        f"Wir haben die Einladung an {run.email} gesendet.", timeout=timeout)
    expect(representation_of(mother, run, "noch nicht angenommen")).to_have_count(1, timeout=timeout)
    assert path_of(mother) == "/vertretung/"


def representation_of(mother, run: Run, status: str):
    """The mother's list entry of the run's daughter in ``status``."""
    heading = mother.get_by_role("heading", level=3, name=run.daughter, exact=True)
    return mother.locator("li.representation", has=heading).filter(has_text=status)


def invitation_link(mailbox, run: Run, live_server) -> str:
    subject = f"Einladung: für {TENANT} im WIR-immerda-Serviceportal handeln"
    text = mail_text(wait_for_mail(mailbox, run.email, subject))
    found = re.search(re.escape(live_server.url) + r"/vertretung/einladung/[\w-]+", text)
    assert found, f"kein Link in der Einladung:\n{text}"
    return found.group(0)


def accept_with_new_account(daughter, link: str, run: Run) -> None:
    response = daughter.goto(link)
    assert response.status == 200, f"{link}: HTTP {response.status}"
    expect(daughter.get_by_role("heading", level=1, name=f"Für {TENANT} handeln")).to_be_visible()
    expect(daughter.locator("main")).to_contain_text(f"„{run.attribution}“")
    expect(daughter.locator("#accept-form")).to_contain_text(run.email)
    assert_checked(daughter)
    control(daughter, "Passwort").fill(DAUGHTER_PASSWORD)
    control(daughter, "Passwort wiederholen").fill(DAUGHTER_PASSWORD)
    daughter.get_by_role("button", name="Zugang anlegen und annehmen").click()
    expect(daughter).to_have_url(re.compile(r"/vertretung/handeln$"))
    expect(daughter.locator(".notice--success")).to_contain_text(f"Sie können jetzt für {TENANT} handeln.")


def assert_choice_buttons_span_the_page(daughter) -> None:
    """The choice is a list of buttons, one under the other, each as wide as the column (no bullets)."""
    choices = daughter.locator("ul.choice-list")
    expect(choices).to_have_css("list-style-type", "none")
    width = choices.bounding_box()["width"]
    for button in choices.get_by_role("button").all():
        assert abs(button.bounding_box()["width"] - width) <= 1, f"{button.inner_text()} is not as wide as the list"


def main_menu(page, name: str):
    return page.get_by_role("navigation", name="Hauptmenü").get_by_role("link", name=name, exact=True)


def file_meldung(daughter, run: Run, photo) -> str:
    """Kontakt in the main menu, a Schadensmeldung with the photo; returns the Meldungsnummer."""
    javascript = run.javascript
    main_menu(daughter, "Kontakt").click()
    expect(daughter.get_by_role("heading", level=1, name="Kontakt")).to_be_visible()
    assert path_of(daughter) == "/kontakt"
    expect(acting_bar(daughter)).to_contain_text(f"Sie handeln für {TENANT}.")
    if javascript:
        wait_for_htmx(daughter)
    rental = control(daughter, "Worum geht es?").locator("option", has_text="Mietvertrag").first.inner_text()
    choose(daughter, "Worum geht es?", rental, javascript)
    choose(daughter, "Meldungsart", "Schadensmeldung", javascript)
    if not javascript:
        daughter.get_by_role("button", name="Auswahl übernehmen").click()
    choose(daughter, "Meldungskategorie", "Heizung/Warmwasser", javascript)
    if not javascript:
        daughter.get_by_role("button", name="Auswahl übernehmen").click()
    daughter.get_by_label("Wo genau? (Raum, Stelle)").fill("Bad, unter dem Fenster")
    daughter.get_by_label("Fotos oder PDF-Dateien (freiwillig)").set_input_files(photo)
    daughter.get_by_label("Betreff").fill(run.subject)
    control(daughter, "Nachricht").fill(MESSAGE)
    daughter.get_by_role("button", name="Absenden").click()

    notice = daughter.locator(".notice--success")
    expect(notice).to_contain_text(re.compile(r"Ihre Meldungsnummer: " + NUMBER))
    number = re.search(NUMBER, notice.inner_text()).group(0)
    expect(daughter).to_have_url(re.compile(re.escape(f"/meldungen/{number}") + "$"))
    expect(daughter.get_by_role("heading", level=1)).to_have_text(run.subject)
    expect(fact(daughter, "Gesendet")).to_have_text(run.attribution)
    expect(acting_bar(daughter)).to_contain_text(f"Sie handeln für {TENANT}.")
    message = daughter.locator("ol.history > li", has_text=MESSAGE)
    expect(message.get_by_role("link", name=photo.name)).to_be_visible()
    assert_no_horizontal_scroll(daughter, 360)
    return number


def assert_meldung_of_mother(mother, run: Run, number: str, photo) -> None:
    main_menu(mother, "Meldungen").click()
    mother.get_by_role("link", name=run.subject, exact=True).click()
    expect(mother.get_by_role("heading", level=1, name=run.subject)).to_be_visible()
    expect(fact(mother, "Meldungsnummer")).to_have_text(number)
    expect(fact(mother, "Gesendet")).to_have_text(run.attribution)
    attachment = mother.locator("ol.history > li", has_text=MESSAGE).get_by_role("link", name=photo.name)
    expect(attachment).to_be_visible()
    response = mother.request.get(attachment.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    expect(acting_bar(mother)).to_have_count(0)  # her own data: no bar


def clerk_answers(clerk, number: str) -> None:
    """The clerk (password and code) finds the Meldung in the queue and answers it at the desk."""
    clerk.goto("/intern/")
    main_menu(clerk, "Meldungen").click()
    clerk.get_by_label("Suche").fill(number)
    clerk.get_by_role("button", name="Anzeigen").click()
    expect(clerk).to_have_url(re.compile(rf"suche={number}"))
    clerk.locator("#queue-table").get_by_role("link", name=number, exact=True).click()
    expect(clerk.get_by_role("heading", level=1)).to_contain_text(number)
    expect(clerk.locator(".history")).to_contain_text(MESSAGE)
    clerk.get_by_label("Antwort an die Mieterin oder den Mieter").fill(ANSWER)
    clerk.get_by_role("button", name="Antwort senden").click()
    expect(clerk.locator("main")).to_contain_text("Ihre Antwort ist gesendet.")
    expect(clerk.locator(".history")).to_contain_text(ANSWER)


def end_representation(mother, run: Run) -> None:
    open_vertretung(mother)
    active = representation_of(mother, run, "Aktiv seit")
    # the link says „Beenden“ and, visually hidden, whose representation
    active.get_by_role("link", name=re.compile(rf"^Beenden der Vertretung durch {run.daughter}$")).click()
    expect(mother.get_by_role("heading", level=1, name=f"Vertretung durch {run.daughter} beenden?")).to_be_visible()
    assert_checked(mother)
    mother.get_by_role("button", name="Vertretung beenden").click()
    expect(mother.locator(".notice--success")).to_contain_text(f"Die Vertretung durch {run.daughter} ist beendet.")
    assert path_of(mother) == "/vertretung/"
    expect(representation_of(mother, run, "Beendet am")).to_have_count(1)


# each run a daughter of its own: the runs share the module's database
RUNS = {True: ("Anna Weiß", "anna"), False: ("Clara Weiß", "clara")}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_daughter_acts_for_her_mother_until_the_mother_ends_it(
    new_page, live_server, mailbox, gisela, lipsia_clerk, photo, javascript
):
    name, local = RUNS[javascript]
    ident = uuid.uuid4().hex[:4]
    run = Run(javascript, name, f"{local}.{ident}@example.net", f"Heizkörper im Bad bleibt kalt ({ident})")

    # 1. the mother invites her daughter
    mother = new_page("desktop", javascript=javascript, user=gisela)
    open_vertretung(mother)
    send_invitation(mother, run)
    if not javascript:  # with JavaScript: test_an_invitation_sent_with_javascript_shows_the_message_and_the_list
        assert_invitation_sent(mother, run)
    link = invitation_link(mailbox, run, live_server)
    open_vertretung(mother)
    expect(representation_of(mother, run, "noch nicht angenommen")).to_have_count(1)
    assert_checked(mother)

    # 2. the daughter, on her phone: the mailed link, her own account, the choice, the bar, a Meldung with a photo
    daughter = new_page("phone", javascript=javascript)
    accept_with_new_account(daughter, link, run)
    expect(daughter.get_by_role("heading", level=1, name="Für wen handeln Sie?")).to_be_visible()
    assert_checked(daughter)
    assert_choice_buttons_span_the_page(daughter)
    daughter.get_by_role("button", name=f"Für {TENANT}").click()
    expect(acting_bar(daughter)).to_contain_text(f"Sie handeln für {TENANT}.")
    assert path_of(daughter) == "/"
    expect(acting_bar(daughter).get_by_role("button", name="Zu meinen eigenen Daten")).to_be_visible()
    assert_checked(daughter)
    assert_no_horizontal_scroll(daughter, 360)
    number = file_meldung(daughter, run, photo)

    # mails: to the mother, a copy to the daughter, both „durch … für …“
    for recipient in (TENANT_EMAIL, run.email):
        text = mail_text(wait_for_mail(mailbox, recipient, f"Ihre Meldung {number} ist eingegangen"))
        assert run.attribution in text, f"{recipient}:\n{text}"

    # 3. the mother sees the Meldung sent for her, and her daughter's representation as active
    assert_meldung_of_mother(mother, run, number, photo)
    open_vertretung(mother)
    expect(representation_of(mother, run, "Aktiv seit")).to_have_count(1)

    # 4. the clerk answers at the desk; the mother reads it, the daughter gets her copy of the mail
    clerk = new_page("desktop", javascript=javascript, user=lipsia_clerk)
    clerk_answers(clerk, number)
    mother.goto(f"/meldungen/{number}")
    expect(mother.locator("ol.history > li", has_text=ANSWER)).to_contain_text("Genossenschaft:")
    for recipient in (TENANT_EMAIL, run.email):
        text = mail_text(wait_for_mail(mailbox, recipient, f"Neue Nachricht zu Ihrer Meldung {number}"))
        assert ANSWER in text and run.attribution in text, f"{recipient}:\n{text}"

    # 5. the mother ends it and reads who acted for her
    end_representation(mother, run)
    mother.get_by_role("link", name="Wer hat für mich gehandelt?").click()
    expect(mother.get_by_role("heading", level=1, name="Wer hat für mich gehandelt")).to_be_visible()
    expect(mother.locator("table tbody tr", has_text=number).filter(has_text=run.daughter)).to_have_count(1)
    assert_checked(mother)

    # the daughter's next click, on the page still open from before, gets nothing of her mother's
    expect(acting_bar(daughter)).to_be_visible()
    main_menu(daughter, "Meldungen").click()
    expect(daughter).to_have_url(re.compile(r"/vertretung/handeln$"))
    expect(daughter.locator("main")).to_contain_text(ENDED)
    expect(daughter.get_by_role("heading", level=1, name="Für wen handeln Sie?")).to_be_visible()
    expect(daughter.get_by_role("button", name=f"Für {TENANT}")).to_have_count(0)
    expect(acting_bar(daughter)).to_have_count(0)
    expect(daughter.locator("body")).not_to_contain_text("Gisela")
    main_menu(daughter, "Meldungen").click()  # her own, which are none
    expect(daughter).to_have_url(re.compile(r"/meldungen$"))
    expect(daughter.get_by_role("heading", level=1, name="Meldungen")).to_be_visible()
    expect(daughter.locator("body")).not_to_contain_text(run.subject)
    expect(daughter.locator("body")).not_to_contain_text("Gisela")
    for page in (mother, daughter, clerk):
        assert not unexpected_errors(page), f"console errors on {page.url}: {unexpected_errors(page)}"
    assert daughter.goto(f"/meldungen/{number}").status == 404


def test_an_invitation_sent_with_javascript_shows_the_message_and_the_list(new_page, gisela):
    ident = uuid.uuid4().hex[:4]
    run = Run(True, "Paul Weiß", f"paul.{ident}@example.net", "")
    mother = new_page("desktop", user=gisela)
    open_vertretung(mother)
    send_invitation(mother, run)
    assert_invitation_sent(mother, run, timeout=2_000)  # htmx has settled what it loaded: no need to wait long
