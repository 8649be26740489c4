"""Every tenant page, and the staff queue, runs as many SQL statements on the demo as on larger generated data
(1 % of `seed-demo --size large`, with a household's share for the demo tenants: Jürgen Müller then has 40 more
Meldungen, 200 more documents and an account with 1,000 Umsätze). A count that grows with the data is a loop."""

import re

import pytest

from tests.helpers import htmx
from wir import clock
from wir.demo import generator
from wir.demo.generator import BIG_ACCOUNT
from wir.models import Contract, SavingsAccount, SavingsTransaction, Ticket

SCALE = 0.01
DEMO_ACCOUNT = "5104711-01"


def _position(number: str, middle: bool) -> str:
    """The keyset position of the Umsätze page in the middle of the account (or "" for the first page)."""
    if not middle:
        return ""
    account = SavingsAccount.get(SavingsAccount.number == number)
    row = (SavingsTransaction.select().where(SavingsTransaction.account == account)
           .order_by(SavingsTransaction.booking_date.desc(), SavingsTransaction.id.desc())
           .offset(account.transactions.count() // 2).limit(1).get())
    return f"?nach={row.booking_date.isoformat()}_{row.id}"


def tenant_pages(account: str) -> dict:
    """Page name -> URL, for Jürgen Müller; ``account`` is the savings account whose Umsätze are shown."""
    rental = Contract.get(Contract.number == "MV-1001-0203")
    ticket = Ticket.select().where(Ticket.person == rental.parties.first().person).order_by(Ticket.id).first()
    return {
        "Startseite": "/",
        "Dokumente": "/dokumente/",
        "Dokumente, zweite Seite": "/dokumente/?seite=2",
        "Dokumente, Filter": "/dokumente/?art=letter",
        "Verträge": "/vertraege/",
        "Vertrag": f"/vertraege/{rental.id}",
        "Sparen": "/sparen/",
        "Umsätze": f"/sparen/{account}/umsaetze",
        "Umsätze, Mitte": f"/sparen/{account}/umsaetze" + _position(account, middle=True),
        "Freistellungsauftrag": "/sparen/freistellungsauftrag",
        "Meldungen": "/meldungen",
        "Meldungen, zweite Seite": "/meldungen?seite=2",
        "Meldung": f"/meldungen/{ticket.number}",
        "Kontakt": "/kontakt",
        "Kontaktdaten": "/konto/kontaktdaten",
        "Anschrift": "/konto/anschrift",
        "Mietbescheinigung anfordern": f"/dokumente/anfordern/mietbescheinigung/{rental.id}",
        "Verbrauch": f"/verbrauch/{rental.id}",
    }


def count(client, count_queries, url: str, headers=None) -> int:
    response = client.get(url, headers=headers)  # once before: nothing first-time is counted
    assert response.status_code in (200, 204), (url, response.status_code)
    with count_queries() as queries:
        client.get(url, headers=headers)
    return queries.count


def consumption_url() -> str:
    """Jürgen Müller's Verbrauch a year before today's month: the figures the month chooser swaps in."""
    month = clock.add_months(clock.today().replace(day=1), -12)
    return f"/verbrauch/{Contract.get(Contract.number == 'MV-1001-0203').id}?monat={month:%Y-%m}"


def poll_url(client) -> str:
    html = client.get("/meldungen").get_data(as_text=True)
    return re.search(r'hx-get="(/meldungen/status\?[^"]+)"', html).group(1).replace("&amp;", "&")


def test_tenant_pages_run_the_same_statements_on_larger_data(client, auth, data, count_queries):
    auth.login_as("juergen")
    small = {name: count(client, count_queries, url) for name, url in tenant_pages(DEMO_ACCOUNT).items()}
    small["Statusabfrage"] = count(client, count_queries, poll_url(client), htmx(auth))
    small["Verbrauch, Monat gewechselt"] = count(client, count_queries, consumption_url(),
                                                  htmx(auth, "verbrauch-werte"))
    generator.generate(clock.now(), clock.today(), SCALE)
    large = {name: count(client, count_queries, url) for name, url in tenant_pages(BIG_ACCOUNT[1]).items()}
    large["Statusabfrage"] = count(client, count_queries, poll_url(client), htmx(auth))
    large["Verbrauch, Monat gewechselt"] = count(client, count_queries, consumption_url(),
                                                  htmx(auth, "verbrauch-werte"))
    assert all(small.values()) and large == small
    # the larger data really is larger where the pages list
    assert Ticket.select().where(Ticket.person == Contract.get(Contract.number == "MV-1001-0203")
                                 .parties.first().person).count() > 40


@pytest.mark.parametrize("url", ["/intern/meldungen", "/intern/meldungen?status=received", "/intern/"])
def test_staff_queue_runs_the_same_statements_on_larger_data(client, auth, data, count_queries, url):
    auth.login_staff(0)
    small = count(client, count_queries, url)
    generator.generate(clock.now(), clock.today(), SCALE)
    assert count(client, count_queries, url) == small
