"""Kontaktdaten are reached not only through the menu behind the tenant's name (which many older users do not read
as a menu): the Startseite and the footer of every tenant page link to them; staff pages and anonymous pages do not."""

import re

LINK = re.compile(r'<a[^>]*href="/konto/kontaktdaten"[^>]*>([^<]+)</a>')


def _footer(page: str) -> str:
    return page.split('<footer class="site-footer">', 1)[1]


def test_tenant_pages_link_to_kontaktdaten_in_the_footer_and_on_the_start_page(client, auth):
    auth.login_as("gisela")
    start = client.get("/").get_data(as_text=True)
    main = start.split("<main", 1)[1].split("</main>", 1)[0]
    assert "Kontaktdaten" in LINK.findall(main)
    for path in ("/", "/meldungen", "/dokumente/", "/vertraege/"):
        assert LINK.findall(_footer(client.get(path).get_data(as_text=True))) == ["Ihre Kontaktdaten"], path


def test_staff_and_anonymous_footers_have_no_kontaktdaten_link(client, auth):
    assert not LINK.findall(_footer(client.get("/anmelden").get_data(as_text=True)))
    auth.login_staff(0)
    page = client.get("/intern/").get_data(as_text=True)
    assert "<h1" in page and not LINK.findall(_footer(page))
