"""The one text rule (services.text): control characters, NUL and bidirectional overrides are refused next to the
field; what goes into a PDF is printable with its font."""

import re

import pytest

from tests.test_tickets import send, tenant  # noqa: F401 (fixture)
from wir.models import Document, Ticket
from wir.services import text
from wir.services.rejections import Rejected

HOSTILE = {
    "NUL": "Heizung\x00kalt",
    "Escape": "Heizung \x1b[31m kalt",
    "right-to-left override": "Rechnung \u202eFDP.exe",
    "left-to-right embedding": "Heizung \u202a kalt",
    "first strong isolate": "Heizung \u2068 kalt",
    "pop directional isolate": "Heizung \u2069 kalt",
    "delete": "Heizung\x7f",
}


@pytest.mark.parametrize("typed", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_rule_refuses_control_and_bidirectional_characters(typed):
    with pytest.raises(Rejected) as refused:
        text.check("message", typed, "Bitte schreiben Sie etwas.", 100)
    assert (refused.value.field, refused.value.message) == ("message", text.FORBIDDEN_MESSAGE)


@pytest.mark.parametrize(("typed", "kept"), [
    ("  Zeile eins\r\nZeile zwei\tmit Tab  ", "Zeile eins\nZeile zwei\tmit Tab"),
    ("Grüße – „Müller“ zahlt 20 €", "Grüße – „Müller“ zahlt 20 €"),
    ("", ""),
])
def test_the_rule_keeps_ordinary_text_stripped(typed, kept):
    assert text.check("message", typed, None, 100) == kept


def test_the_rule_says_what_is_missing_too_long_and_unprintable():
    with pytest.raises(Rejected, match="Bitte schreiben Sie etwas."):
        text.check("message", "   ", "Bitte schreiben Sie etwas.", 100)
    with pytest.raises(Rejected, match="Höchstens 10.000 Zeichen."):
        text.check("message", "x" * 10_001, None, 10_000)
    assert text.check("message", "你好", None, 100) == "你好"  # a page shows it
    with pytest.raises(Rejected, match="Diese Zeichen können wir nicht drucken: 你 好"):
        text.check("message", "你好", None, 100, printable=True)


@pytest.mark.parametrize("field", ["subject", "message", "location"])
@pytest.mark.parametrize("typed", [HOSTILE["NUL"], HOSTILE["right-to-left override"]], ids=["NUL", "RLO"])
def test_kontakt_refuses_them_next_to_the_field_and_files_nothing(client, auth, tenant, data, field, typed):
    tickets_before, documents_before = Ticket.select().count(), Document.select().count()

    response = send(client, auth, tenant, **{field: typed})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'<p class="field__error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and text.FORBIDDEN_MESSAGE in error.group(1)
    # nothing stored: no ticket, no Eingangsbestätigung with the override in it
    assert (Ticket.select().count(), Document.select().count()) == (tickets_before, documents_before)


@pytest.mark.parametrize(("value", "cell"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+49 341", "'+49 341"), ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("Stuttgarter Allee 18", "Stuttgarter Allee 18"), ("", ""),
])
def test_a_csv_cell_never_starts_a_formula(value, cell):
    assert text.defused(value) == cell
