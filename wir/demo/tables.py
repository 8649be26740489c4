"""The demo's tables: two cooperatives, their staff, tenants, units, contracts, tickets, savings and letters.

All fictitious; e-mail addresses use example.org/example.com.
"""

from collections import namedtuple
from datetime import date
from decimal import Decimal

from stdnum import iban as iban_numbers
from stdnum.eu import at_02 as creditor_ids

from wir.models import TicketStatus

CENT = Decimal("0.01")


def iban(bank_code: str, account_number: str) -> str:
    """German IBAN from BLZ and account number, with correct check digits."""
    bban = bank_code + account_number.zfill(10)
    return f"DE{iban_numbers.calc_check_digits('DE00' + bban)}{bban}"


def creditor_id(national_id: str) -> str:
    """German Gläubiger-ID DEppZZZ0nnnnnnnnnn (the business code ZZZ is not part of the check)."""
    return f"DE{creditor_ids.calc_check_digits('DE00ZZZ' + national_id)}ZZZ{national_id}"


# --- the tables ---

LIPSIA, ELSTERAUE = "lipsia", "elsteraue"

COOPERATIVES = [
    {
        "slug": LIPSIA,
        "name": "WG „Lipsia“ eG",
        "street": "Brünnler Straße 12",
        "postcode": "04209",
        "city": "Leipzig",
        "register_court": "Amtsgericht Leipzig",
        "register_number": "GnR 146",
        "creditor_id": creditor_id("00000417320"),
        "has_savings": True,
        "email": "service@lipsia.example.org",
        "phone": "0341 41519-0",
        "emergency_phone": "0341 41519-111",
        "office_hours": "Di 9–12 und 13–18 Uhr, Do 9–12 und 13–16 Uhr",
        "website": "https://www.wg-lipsia.de",
    },
    {
        "slug": ELSTERAUE,
        "name": "WG „Elsteraue“ eG",
        "street": "Dieskaustraße 125",
        "postcode": "04249",
        "city": "Leipzig",
        "register_court": "Amtsgericht Leipzig",
        "register_number": "GnR 283",
        "creditor_id": creditor_id("00000542871"),
        "has_savings": False,
        "email": "service@elsteraue.example.org",
        "phone": "0341 42441-0",
        "emergency_phone": "0341 42441-111",
        "office_hours": "Di 9–12 und 13–18 Uhr",
        "website": "https://www.wg-elsteraue.de",
    },
]
TICKET_PREFIX = {LIPSIA: "L", ELSTERAUE: "E"}
MANDATE_PREFIX = {LIPSIA: "LIP", ELSTERAUE: "ELS"}
SHARE_AMOUNT = {LIPSIA: Decimal("155.00"), ELSTERAUE: Decimal("160.00")}

# Ansprechpartner, each signing in as staff of their cooperative, enrolled in the second factor already.
# key, cooperative, name, phone, e-mail (contact address and login), office hours, password, TOTP secret
STAFF = [
    ("koehler", LIPSIA, "Sandra Köhler", "0341 41519-21", "sachbearbeitung@lipsia.example.org",
     "Di 9–12 und 13–18 Uhr", "Akten-Stempel-Kranich-24", "IAEME7RFYUG6AP756XJTZZD2Z3OZO2C5"),
    ("schroeder", LIPSIA, "Thomas Schröder", "0341 41519-34", "t.schroeder@lipsia.example.org",
     "Do 9–12 und 13–16 Uhr", "Wendeltreppe-Kiesel-58", "SS4RBWZC7SVSGONU6GE4ILLXU7KYIUUI"),
    ("grosse", ELSTERAUE, "Birgit Große", "0341 42441-12", "sachbearbeitung@elsteraue.example.org",
     "Di 9–12 und 13–18 Uhr", "Pfeffer-Minze-Segel-71", "ZE5NWNX2IV6AE5SCOZUHHXHY5I4E6KFA"),
    ("hoffmann", ELSTERAUE, "René Hoffmann", "0341 42441-15", "r.hoffmann@elsteraue.example.org",
     "Di 13–18 Uhr", "Glocken-Blume-Anker-36", "JYON5O4L5P4E26ZADOYU7IEFHGLE7NM2"),
]
# the Anrede of each Ansprechpartner, by key
STAFF_SALUTATIONS = {"koehler": "Frau", "schroeder": "Herr", "grosse": "Frau", "hoffmann": "Herr"}
ADMIN = {
    "email": "admin@wir-immerda.example.org",
    "password": "Schluessel-Turm-Mond-88",
    "name": "Portal-Administration",
    "totp_secret": "V6GHKPL5UTC2AWQU7GEP74PY5UH2P5NL",
}

# Tenant logins. key, e-mail, password, registered (days ago), contact data reviewed, phone numbers (E.164)
TENANT_USERS = [
    ("juergen", "juergen.mueller@example.org", "Sommer-Garten-2026!", 410, True,
     [("home", "+493414928713"), ("mobile", "+4915112345678")]),
    ("gisela", "gisela.weiss@example.com", "Kaffee-Tasse-Blau-19", 380, True, [("mobile", "+4917698765432")]),
    ("lukasz", "lukasz.zolc@example.org", "Regen-Schirm-Fluss-83", 12, False, []),
    ("suekrue", "s.yilmaz@example.org", "Apfel-Baum-Wolke-52", 150, True,
     [("mobile", "+4916023456789"), ("work", "+493419876543")]),
    ("dieter", "dieter.krueger@example.com", "Kanu-Ahorn-Wiese-47", 95, True, [("home", "+493414211876")]),
]

# Persons as the ERP knows them; the address is that of their home unit.
PersonRow = namedtuple("PersonRow", "key cooperative number salutation first_name last_name birth_date home login")
PERSONS = [PersonRow(*row) for row in [
    ("juergen", LIPSIA, "104711", "Herr", "Jürgen", "Müller", date(1958, 3, 14), "1001-0203", "juergen"),
    ("monika", LIPSIA, "104712", "Frau", "Monika", "Müller", date(1961, 7, 2), "1001-0203", None),
    ("gisela_l", LIPSIA, "100385", "Frau", "Gisela", "Weiß", date(1949, 11, 23), "1004-0112", "gisela"),
    ("lukasz", LIPSIA, "118240", "Herr", "Łukasz", "Żółć", date(1990, 5, 8), "1012-0405", "lukasz"),
    ("hannelore", LIPSIA, "095127", "Frau", "Hannelore", "Schütz", date(1944, 1, 30), "2003-0001", None),
    ("gisela_e", ELSTERAUE, "205188", "Frau", "Gisela", "Weiß", date(1949, 11, 23), "1004-0112", "gisela"),
    ("suekrue", ELSTERAUE, "203317", "Herr", "Şükrü", "Yılmaz", date(1976, 9, 17), "301-0201", "suekrue"),
    ("ayse", ELSTERAUE, "203318", "Frau", "Ayşe", "Yılmaz", date(1979, 2, 11), "301-0201", None),
    ("dieter", ELSTERAUE, "201942", "Herr", "Dieter", "Krüger", date(1966, 6, 5), "305-0302", "dieter"),
]]

# Registrierungsnummern from the letters, for persons without a login (no 0/O, 1/I/L).
REGISTRATION_CODES = [
    ("monika", "LIP-7K3M-9QX2"),
    ("hannelore", "LIP-H4TR-2WCE"),
    ("ayse", "ELS-8PZD-5MNA"),
]

# cooperative, number, kind, street, postcode, floor, position, rooms, living area, heating, year built
UNITS = [
    (LIPSIA, "1001-0203", "flat", "Stuttgarter Allee 18", "04209", "2. OG", "links", "3", "67.45", "Fernwärme", 1978),
    (LIPSIA, "1004-0112", "flat", "Alte Salzstraße 61", "04209", "1. OG", "rechts", "2", "48.90", "Fernwärme", 1979),
    (LIPSIA, "1012-0405", "flat", "Mannheimer Straße 45", "04209", "4. OG", "Mitte", "1", "34.12", "Fernwärme", 1983),
    (LIPSIA, "2003-0001", "flat", "Brünnler Straße 6", "04209", "EG", "rechts", "2", "56.30", "Fernwärme", 1980),
    (LIPSIA, "9001-0012", "parking", "Stuttgarter Allee 18", "04209", "", "Stellplatz 12", None, None, "", None),
    (ELSTERAUE, "301-0201", "flat", "Dieskaustraße 170", "04249", "1. OG", "links", "4", "84.60",
     "Gaszentralheizung", 1929),
    (ELSTERAUE, "305-0302", "flat", "Windorfer Straße 52", "04229", "2. OG", "rechts", "2.5", "58.75",
     "Gaszentralheizung", 1956),
    (ELSTERAUE, "G-014", "garage", "Gerhard-Ellrodt-Straße 26", "04249", "", "Garage 14", None, None, "", 1972),
    (ELSTERAUE, "P-007", "parking", "Dieskaustraße 170", "04249", "", "Stellplatz 7", None, None, "", None),
]

# Monthly amounts. number, unit, start, Ansprechpartner, parties, Grundmiete, Betriebskosten,
# Heizkosten, persons in household, arrears
RENTALS = [
    ("MV-1001-0203", "1001-0203", date(1991, 10, 1), "koehler", [("juergen", "main"), ("monika", "co")],
     "391.21", "128.16", "87.69", 2, "0.00"),
    ("MV-1004-0112", "1004-0112", date(2005, 3, 1), "koehler", [("gisela_l", "main")],
     "283.62", "92.91", "63.57", 1, "0.00"),
    ("MV-1012-0405", "1012-0405", date(2019, 8, 1), "schroeder", [("lukasz", "main")],
     "204.72", "64.83", "44.36", 1, "0.00"),
    ("MV-2003-0001", "2003-0001", date(1986, 5, 1), "schroeder", [("hannelore", "main")],
     "326.54", "106.97", "73.19", 1, "0.00"),
    ("MV-301-0201", "301-0201", date(2014, 6, 1), "grosse", [("suekrue", "main"), ("ayse", "co")],
     "507.60", "160.74", "118.44", 4, "0.00"),
    ("MV-305-0302", "305-0302", date(2008, 9, 1), "hoffmann", [("dieter", "main")],
     "364.25", "111.63", "82.25", 2, "412.36"),
]
# number, unit, start, Ansprechpartner, tenant, monthly rent
PARKING = [
    ("SP-9001-0012", "9001-0012", date(2012, 4, 1), "koehler", "juergen", "30.00"),
    ("GA-G-014", "G-014", date(2016, 1, 1), "grosse", "gisela_e", "45.00"),
    ("SP-P-007", "P-007", date(2020, 2, 1), "grosse", "suekrue", "25.00"),
]
# Mitgliedschaften. number, member, admission, Ansprechpartner, Pflichtanteile, freiwillige Anteile, paid in
MEMBERSHIPS = [
    ("MG-104711", "juergen", date(1991, 9, 1), "koehler", 9, 4, "2015.00"),
    ("MG-100385", "gisela_l", date(2005, 2, 1), "koehler", 6, 10, "2480.00"),
    ("MG-118240", "lukasz", date(2019, 7, 1), "schroeder", 3, 0, "310.00"),  # paid in instalments
    ("MG-095127", "hannelore", date(1986, 4, 1), "schroeder", 6, 0, "930.00"),
    ("MG-205188", "gisela_e", date(2015, 12, 1), "grosse", 1, 0, "160.00"),
    ("MG-203317", "suekrue", date(2014, 5, 1), "grosse", 12, 0, "1920.00"),
    ("MG-201942", "dieter", date(2008, 8, 1), "hoffmann", 6, 0, "960.00"),
]

# BLZ, BIC, bank
BANKS = {
    "sparkasse": ("86055592", "WELADE8LXXX", "Sparkasse Leipzig"),
    "volksbank": ("86095604", "GENODEF1LVB", "Leipziger Volksbank"),
    "commerzbank": ("37040044", "COBADEFFXXX", "Commerzbank"),
    "postbank": ("86010090", "PBNKDEFF", "Postbank"),
    "deutsche_bank": ("86070024", "DEUTDEDBLEG", "Deutsche Bank"),
}
# The account each main tenant pays from: bank, account number
PAYING_ACCOUNTS = {
    "juergen": ("sparkasse", "1012345678"),
    "gisela_l": ("volksbank", "307514200"),
    "gisela_e": ("volksbank", "307514200"),
    "lukasz": ("commerzbank", "532013000"),  # DE89370400440532013000, the textbook IBAN
    "hannelore": ("postbank", "58213901"),
    "suekrue": ("deutsche_bank", "4471902"),
    "dieter": ("sparkasse", "1100482633"),
}
SEPA_START = date(2014, 2, 1)  # older contracts switched to SEPA mandates on this day


def _category(name, hint="", savings_only=False, **flags):
    return {"name": name, "hint": hint, "savings_only": savings_only, **flags}


DAMAGE = {"allows_attachments": True, "needs_contract": True}
DAMAGE_HINT = (
    "Bitte beschreiben Sie, wo genau der Schaden ist (Raum, Stelle), und fügen Sie nach Möglichkeit Fotos bei."
)
CONTRACT = {"needs_contract": True}

# Meldungsarten with their Meldungskategorien (domain-facts §7 and the guide's examples)
TICKET_TYPES = [
    ("Schadensmeldung", [
        _category("Heizung/Warmwasser", DAMAGE_HINT, **DAMAGE),
        _category("Sanitär (Wasser, Abfluss, WC)", DAMAGE_HINT, **DAMAGE),
        _category("Elektrik", "Auch Klingel, Sprechanlage und Treppenlicht. " + DAMAGE_HINT, **DAMAGE),
        _category("Fenster/Türen/Schlösser", DAMAGE_HINT, **DAMAGE),
        _category("Aufzug", "Steckt jemand im Aufzug fest, drücken Sie bitte den Notrufknopf im Aufzug.", **DAMAGE),
        _category("Dach/Fassade/Feuchtigkeit", DAMAGE_HINT, **DAMAGE),
        _category("Schimmel", "Bitte geben Sie an, wie groß die Fläche ist, und fügen Sie Fotos bei.", **DAMAGE),
        _category("Ungeziefer", DAMAGE_HINT, **DAMAGE),
        _category("Rauchwarnmelder", DAMAGE_HINT, **DAMAGE),
        _category("Balkon", DAMAGE_HINT, **DAMAGE),
        _category("Gemeinschafts- und Außenflächen", DAMAGE_HINT, **DAMAGE),
        _category(
            "Notfall: Wasserrohrbruch, Gasgeruch, Heizungsausfall",
            "Bitte rufen Sie in einem Notfall sofort unseren Notdienst an – er ist rund um die Uhr erreichbar. "
            "Bei Gasgeruch: keine Schalter betätigen, Fenster öffnen, Haus verlassen.",
            is_emergency=True,
        ),
    ]),
    ("Termin", [
        _category("Terminvereinbarung (Bitte Telefon-Nr. angeben)",
                  "Bitte nennen Sie eine Telefonnummer, unter der wir Sie tagsüber erreichen.", needs_phone=True),
    ]),
    ("Antrag", [
        _category("Antrag auf Zusendung der Steuerbescheinigung", key="tax_certificate", savings_only=True),
        _category("Kündigung einer Spareinlage", "Die Kündigungsfrist richtet sich nach Ihrem Sparvertrag.",
                  key="savings_notice", savings_only=True),
        _category("Untervermietung", "Bitte nennen Sie Name und Geburtsdatum der Untermieterin oder des Untermieters.",
                  key="sublet", **CONTRACT),
        _category("Haustierhaltung", "Für Kleintiere wie Fische oder Hamster brauchen Sie keine Zustimmung.",
                  key="pets", **CONTRACT),
        _category("Bauliche Veränderung", "Bitte beschreiben Sie das Vorhaben; Skizzen oder Angebote helfen uns.",
                  allows_attachments=True, needs_contract=True),
        _category("Wohnungswechsel/Tausch"),
        _category("Stellplatz/Garage gesucht"),
    ]),
    ("Bescheinigung", [
        _category("Vorvermieterbescheinigung", **CONTRACT),
        _category("Mietschuldenfreiheitsbescheinigung",
                  "Ist Ihr Mietkonto ausgeglichen, können Sie die Bescheinigung unter „Dokumente“ selbst erzeugen.",
                  key="rent_clearance", **CONTRACT),
    ]),
    ("Vertrag und Stammdaten", [
        _category("Personenzahl/Mitbewohner", key="household", **CONTRACT),
        _category("Änderung der Anschrift", "Bitte nennen Sie die neue Anschrift und ab wann sie gilt.",
                  key="address_change"),
        _category("Namensänderung", "Bitte fügen Sie eine Kopie der Urkunde bei.", allows_attachments=True),
        _category("Schlüssel nachbestellen", **CONTRACT),
        _category("Kündigung Nutzungsvertrag",
                  "Die Kündigung muss schriftlich und von allen Vertragspartnern unterschrieben bei uns eingehen. "
                  "Wir senden Ihnen gern ein Formular zu.", key="termination", **CONTRACT),
    ]),
    ("Betriebskostenabrechnung", [
        _category("Frage zur Abrechnung", **CONTRACT),
        _category("Einwendung gegen die Abrechnung", allows_attachments=True, needs_contract=True),
        _category("Belegeinsicht", **CONTRACT),
        _category("Anpassung der Vorauszahlung", **CONTRACT),
    ]),
    ("Hausservice", [
        _category("Reinigung", allows_attachments=True),
        _category("Grünpflege", allows_attachments=True),
        _category("Winterdienst", allows_attachments=True),
        _category("Müll", allows_attachments=True),
    ]),
    ("Nachbarschaft", [
        _category("Lärm", "Bitte fügen Sie Ihr Lärmprotokoll bei.", allows_attachments=True),
    ]),
    ("WIR-immerda Serviceportal", [
        _category("Feedback Serviceportal"),
        _category("Technisches Problem", "Bitte nennen Sie Gerät und Browser.", allows_attachments=True),
    ]),
    ("Sonstiges", [
        _category("Allgemeine Anfrage"),
        _category("Lob und Beschwerde"),
    ]),
    # filed by Zählerstand melden (Verbrauch) with its own form, not offered on Kontakt (services.tickets.contact)
    ("Zählerstand", [
        _category("Zählerstand melden", key="meter_reading", allows_attachments=True, needs_contract=True),
    ]),
]

# Meldungen. The story lists (hours after filing, who, …): "tenant"/"staff" write a message,
# "status" moves the ticket on (with a reason when rejected). Filing itself is Eingegangen.
TICKETS = [
    {
        "person": "gisela_l", "category": "Feedback Serviceportal", "subject": "Sie gutes Portal - weiter so!",
        "days_ago": 60,
        "story": [
            (0, "tenant", "Ich habe mich heute angemeldet und finde mich gut zurecht. Sie gutes Portal - weiter so!"),
            (20, "status", TicketStatus.IN_PROGRESS),
            (22, "staff", "Vielen Dank für Ihr Lob, Frau Weiß! Wir geben es gern an das ganze "
                          "WIR-immerda-Team weiter."),
            (22, "status", TicketStatus.CLOSED),
        ],
    },
    {
        "person": "gisela_l", "category": "Terminvereinbarung (Bitte Telefon-Nr. angeben)",
        "subject": "Bitte um Termin", "phone": "0176 98765432", "days_ago": 2,
        "story": [
            (0, "tenant", "Ich möchte gern einen Termin in der Geschäftsstelle vereinbaren, um über einen Wechsel "
                          "in eine kleinere Wohnung mit Aufzug zu sprechen. Vormittags bin ich am besten erreichbar."),
            (5, "status", TicketStatus.IN_PROGRESS),
            (5, "staff", "Wir rufen Sie in den nächsten Tagen vormittags an und stimmen einen Termin mit Ihnen ab."),
        ],
    },
    {
        "person": "juergen", "contract": "MV-1001-0203", "category": "Heizung/Warmwasser",
        "subject": "Heizkörper im Wohnzimmer bleibt kalt", "location": "Wohnzimmer, Heizkörper unter dem Fenster",
        "days_ago": 6,
        "story": [
            (0, "tenant", "Der Heizkörper im Wohnzimmer wird seit gestern nicht mehr warm, obwohl das Ventil ganz "
                          "aufgedreht ist. Die anderen Heizkörper funktionieren."),
            (3, "status", TicketStatus.IN_PROGRESS),
            (20, "staff", "Wir haben die Firma Heizungsbau Engel GmbH beauftragt. Der Monteur meldet sich bei Ihnen, "
                          "um einen Termin abzustimmen."),
            (20, "status", TicketStatus.COMMISSIONED),
        ],
    },
    {
        "person": "juergen", "contract": "MV-1001-0203", "category": "Sanitär (Wasser, Abfluss, WC)",
        "subject": "Wasserhahn in der Küche tropft", "location": "Küche, Spüle", "days_ago": 45,
        "story": [
            (0, "tenant", "Der Wasserhahn an der Spüle tropft auch zugedreht ständig."),
            (4, "status", TicketStatus.IN_PROGRESS),
            (24, "staff", "Die Firma Sanitär Hähnel kommt am Donnerstag zwischen 8 und 12 Uhr zu Ihnen."),
            (24, "status", TicketStatus.COMMISSIONED),
            (190, "staff", "Die Kartusche der Armatur wurde getauscht. Wir schließen Ihre Meldung ab."),
            (190, "status", TicketStatus.CLOSED),
        ],
    },
    {
        "person": "juergen", "category": "Antrag auf Zusendung der Steuerbescheinigung",
        "subject": "Steuerbescheinigung für das Vorjahr", "days_ago": 0.25,
        "story": [
            (0, "tenant", "Bitte senden Sie mir die Steuerbescheinigung für meine Sparverträge für das vergangene "
                          "Jahr zu. Ich brauche sie für die Steuererklärung."),
        ],
    },
    {
        "person": "lukasz", "contract": "MV-1012-0405", "category": "Schimmel",
        "subject": "Schimmel an der Außenwand hinter dem Schrank", "location": "Wohnraum, Außenwand hinter dem Schrank",
        "days_ago": 9,
        "story": [
            (0, "tenant", "Beim Umstellen des Kleiderschranks habe ich dunkle Flecken an der Außenwand entdeckt."),
            (6, "status", TicketStatus.IN_PROGRESS),
            (26, "staff", "Vielen Dank für Ihre Meldung. Damit wir die Ursache einschätzen können: Bitte schicken Sie "
                          "uns Fotos der Stelle und teilen Sie uns mit, wie groß die Fläche etwa ist und wie oft am "
                          "Tag Sie lüften."),
            (26, "status", TicketStatus.QUERY),
        ],
    },
    {
        "person": "lukasz", "contract": "MV-1012-0405", "category": "Bauliche Veränderung",
        "subject": "Markise am Balkon anbringen", "days_ago": 30,
        "story": [
            (0, "tenant", "Ich möchte an meinem Balkon eine Markise von einem Fachbetrieb anbringen lassen. "
                          "Ist das erlaubt?"),
            (20, "status", TicketStatus.IN_PROGRESS),
            (120, "status", TicketStatus.REJECTED,
             "An diesem Gebäude dürfen keine Markisen an der Fassade befestigt werden, weil dabei die "
             "Wärmedämmung beschädigt würde. Gern beraten wir Sie zu einem Sonnenschutz ohne Bohrungen."),
        ],
    },
    {
        "person": "suekrue", "contract": "MV-301-0201", "category": "Fenster/Türen/Schlösser",
        "subject": "Wohnungstür schließt nicht richtig", "location": "Wohnungstür", "days_ago": 1,
        "story": [
            (0, "tenant", "Die Wohnungstür fällt nicht mehr von selbst ins Schloss, man muss sie fest zudrücken."),
        ],
    },
    {
        "person": "suekrue", "category": "Müll", "subject": "Sperrmüll im Hof",
        "location": "Hof hinter der Dieskaustraße 170", "days_ago": 14,
        "story": [
            (0, "tenant", "Neben den Mülltonnen steht seit einer Woche ein altes Sofa."),
            (30, "tenant", "Das Sofa wurde inzwischen abgeholt, meine Meldung hat sich erledigt."),
            (30, "status", TicketStatus.WITHDRAWN),
        ],
    },
    {
        "person": "dieter", "contract": "MV-305-0302", "category": "Frage zur Abrechnung",
        "subject": "Frage zur Betriebskostenabrechnung", "days_ago": 4,
        "story": [
            (0, "tenant", "Die Kosten für den Hauswart sind im Vergleich zum Vorjahr stark gestiegen. "
                          "Können Sie mir das erklären?"),
            (24, "status", TicketStatus.IN_PROGRESS),
            (24, "staff", "Wir prüfen die Position Hauswart und melden uns in den nächsten Tagen bei Ihnen."),
        ],
    },
    {
        "person": "dieter", "contract": "MV-305-0302", "category": "Ungeziefer",
        "subject": "Silberfischchen im Bad", "location": "Bad", "days_ago": 7,
        "story": [
            (0, "tenant", "Im Bad sind seit einigen Wochen viele Silberfischchen, besonders nachts."),
            (5, "status", TicketStatus.IN_PROGRESS),
            (28, "staff", "Bitte teilen Sie uns mit, ob auch Ihre Nachbarn betroffen sind und an welchen Tagen der "
                          "Schädlingsbekämpfer Ihre Wohnung betreten kann."),
            (28, "status", TicketStatus.QUERY),
        ],
    },
    {
        "person": "gisela_e", "contract": "GA-G-014", "category": "Fenster/Türen/Schlösser",
        "subject": "Garagentor klemmt", "location": "Garage 14", "days_ago": 75,
        "story": [
            (0, "tenant", "Das Garagentor lässt sich nur noch mit viel Kraft öffnen."),
            (6, "status", TicketStatus.IN_PROGRESS),
            (30, "status", TicketStatus.COMMISSIONED),
            (100, "staff", "Die Führungsschienen wurden gereinigt und eingestellt. Das Tor läuft wieder leicht."),
            (100, "status", TicketStatus.CLOSED),
        ],
    },
]

# Spareinlagen (only at Lipsia). person, number, product, rate % p.a., notice months,
# opened (months ago), first deposit, further bookings (months ago, kind, amount)
SAVINGS_ACCOUNTS = [
    ("juergen", "5104711-01", "Sparbuch", "0.250", 3, 26, "8000.00", [
        (22, "Einzahlung", "500.00"), (19, "Auszahlung", "-1200.00"), (15, "Einzahlung", "750.00"),
        (11, "Einzahlung", "250.00"), (9, "Auszahlung", "-2000.00"), (6, "Einzahlung", "300.00"),
        (4, "Einzahlung", "250.00"), (1, "Einzahlung", "400.00"),
    ]),
    ("juergen", "5104711-02", "Wachstumssparen", "1.250", 12, 25, "2000.00",
     [(months, "Einzahlung", "300.00") for months in (22, 19, 16, 13, 10, 7, 4, 1)]),
    ("gisela_l", "5100385-01", "Festzins", "2.750", 0, 40, "10000.00", []),
]
SAVINGS_TERMS = {"5100385-01": 60}  # fixed terms (Festzins) in months: the account matures after them
KAPEST_RATE = Decimal("0.25")
SOLI_RATE = Decimal("0.055")

# Freistellungsaufträge: person, joint, amount, valid from, Steuer-ID
EXEMPTION_ORDERS = [
    ("juergen", False, "1000.00", date(2023, 1, 1), "36574261809"),
]

# Neuigkeiten. cooperative, title, text, published (days ago), expires (days from now; negative: expired)
NEWS = [
    (LIPSIA, "Willkommen im WIR-immerda-Serviceportal",
     "Ab sofort erreichen Sie uns auch online: Verträge einsehen, Bescheinigungen erzeugen, Schäden melden "
     "und den Stand Ihrer Sparverträge prüfen – rund um die Uhr.\n\n"
     "Unsere Mitarbeiterinnen und Mitarbeiter sind natürlich weiterhin persönlich für Sie da.", 200, None),
    (LIPSIA, "Ablesung der Heizkostenverteiler",
     "In den kommenden Wochen liest unser Messdienst die Heizkostenverteiler und Wasserzähler in Grünau ab. "
     "Den Termin für Ihr Haus finden Sie rechtzeitig als Aushang im Hausflur.", 10, 30),
    (LIPSIA, "Neue Zinssätze für Festzins-Sparverträge",
     "Für neu abgeschlossene Festzins-Sparverträge mit drei Jahren Laufzeit gilt ab sofort ein Zinssatz von "
     "2,75 % p. a. Sprechen Sie uns gern an.", 20, None),
    (LIPSIA, "Hoffest in Grünau-Mitte",
     "Wir laden alle Mitglieder herzlich zum Hoffest an der Stuttgarter Allee ein – mit Kaffee, Kuchen und "
     "Hüpfburg für die Kleinen.", 90, -60),
    (ELSTERAUE, "Willkommen im WIR-immerda-Serviceportal",
     "Auch die Mitglieder der WG „Elsteraue“ eG können ihre Anliegen jetzt online erledigen. "
     "Die Registrierungsnummer finden Sie in Ihrem persönlichen Anschreiben.", 200, None),
    (ELSTERAUE, "Strangsanierung in der Dieskaustraße 170",
     "Ab dem kommenden Monat erneuern wir die Wasser- und Abwasserleitungen im Haus Dieskaustraße 170. "
     "Die betroffenen Mieterinnen und Mieter erhalten vorab ein persönliches Schreiben mit allen Terminen.", 5, 60),
    (ELSTERAUE, "Frühjahrsputz im Hof",
     "Am Samstag räumen wir gemeinsam den Hof auf. Handschuhe und Säcke stellen wir bereit.", 120, -90),
]


# Textbausteine for the desk: (cooperative, staff key of the author, title, text); {Termin} is filled in by hand
# Handwerker: two firms per cooperative (the addresses are reserved example domains: nothing is delivered)
CONTRACTORS = [
    (LIPSIA, "Sanitär Krause GmbH", "Sanitär und Heizung", "auftrag@sanitaer-krause.example", "0341 5550101"),
    (LIPSIA, "Elektro Vogel", "Elektro", "info@elektro-vogel.example", "0341 5550102"),
    (ELSTERAUE, "Malerbetrieb Schulze", "Maler", "auftraege@maler-schulze.example", "0341 5550201"),
    (ELSTERAUE, "Haustechnik Neumann GmbH", "Sanitär und Heizung", "service@haustechnik-neumann.example",
     "0341 5550202"),
]

REPLY_TEMPLATES = [
    (LIPSIA, "koehler", "Eingangsbestätigung",
     "{Anrede},\n\nvielen Dank für Ihre Meldung {Meldungsnummer}. Wir kümmern uns darum und melden uns, sobald es "
     "Neues gibt.\n\nMit freundlichen Grüßen\n{Ansprechpartner}\nWG „Lipsia“ eG"),
    (LIPSIA, "koehler", "Handwerker beauftragt",
     "{Anrede},\n\nzu Ihrer Meldung {Meldungsnummer} haben wir eine Fachfirma beauftragt. Sie ruft Sie in den "
     "nächsten Tagen an, um einen Termin mit Ihnen zu vereinbaren.\n\nMit freundlichen Grüßen\n{Ansprechpartner}\n"
     "WG „Lipsia“ eG"),
    (LIPSIA, "schroeder", "Termin bestätigt",
     "{Anrede},\n\nfür Ihre Meldung {Meldungsnummer} kommt die Fachfirma am {Termin}. Bitte sorgen Sie dafür, dass "
     "die Wohnung an diesem Tag zugänglich ist. Passt Ihnen der Termin nicht, antworten Sie einfach auf diese "
     "Nachricht.\n\nMit freundlichen Grüßen\n{Ansprechpartner}\nWG „Lipsia“ eG"),
    (LIPSIA, "schroeder", "Steuerbescheinigung verschickt",
     "{Anrede},\n\ndie Steuerbescheinigung zu Ihren Sparverträgen finden Sie ab sofort unter „Dokumente“. Zusätzlich "
     "haben wir sie Ihnen heute per Post geschickt.\n\nMit freundlichen Grüßen\n{Ansprechpartner}\nWG „Lipsia“ eG"),
    (ELSTERAUE, "grosse", "Eingangsbestätigung",
     "{Anrede},\n\nherzlichen Dank für Ihre Nachricht. Ihre Meldung hat die Nummer {Meldungsnummer}; wir melden uns "
     "bei Ihnen, sobald wir mehr wissen.\n\nFreundliche Grüße\n{Ansprechpartner}\nWG „Elsteraue“ eG"),
    (ELSTERAUE, "grosse", "Bitte um Rückruf",
     "{Anrede},\n\nzu Ihrer Meldung {Meldungsnummer} möchten wir gern kurz mit Ihnen sprechen. Bitte rufen Sie uns "
     "in unseren Sprechzeiten an.\n\nFreundliche Grüße\n{Ansprechpartner}\nWG „Elsteraue“ eG"),
    (ELSTERAUE, "hoffmann", "Arbeiten erledigt",
     "{Anrede},\n\ndie Arbeiten zu Ihrer Meldung {Meldungsnummer} sind abgeschlossen. Sollte noch etwas nicht in "
     "Ordnung sein, schreiben Sie uns bitte einfach eine neue Meldung.\n\nFreundliche Grüße\n{Ansprechpartner}\n"
     "WG „Elsteraue“ eG"),
]

# Letters in Dokumente, as real PDFs. Each rental contract gets its Betriebskostenabrechnung for the
# last year; the cost types are priced per m² and month (or per person) so the results land near the
# advances, some as Nachzahlung, some as Guthaben. (name, distribution key, € per m² and month)
OPERATING_COSTS = [
    ("Grundsteuer", "Wohnfläche", "0.22"),
    ("Wasserversorgung und Entwässerung", "Personen", "0.48"),
    ("Müllbeseitigung", "Personen", "0.19"),
    ("Straßenreinigung und Winterdienst", "Wohnfläche", "0.06"),
    ("Hausreinigung", "Wohnfläche", "0.21"),
    ("Gartenpflege", "Wohnfläche", "0.12"),
    ("Allgemeinstrom", "Wohnfläche", "0.07"),
    ("Hauswart", "Wohnfläche", "0.24"),
    ("Sach- und Haftpflichtversicherung", "Wohnfläche", "0.19"),
]
HEATING_RATE = Decimal("1.32")  # € per m² and month, 30 % by area and 70 % by consumption (§ 7 HeizkostenV)
FLATS_PER_BUILDING = 24
SQUARE_METRES_PER_RESIDENT = Decimal("34")
BK_DELIVERED_DAYS_AGO = 40
# contracts whose statement the tenant has opened (days ago); the others are "neu"
BK_READ_DAYS_AGO = {"MV-1001-0203": 38, "MV-2003-0001": 30}

# Other letters. person, contract (or None), days ago, opened (days ago or None), subject, paragraphs
LETTERS = [
    ("juergen", "MV-1001-0203", 12, None, "Ablesung der Heizkostenverteiler und Wasserzähler", [
        "in den kommenden Wochen liest unser Messdienst die Heizkostenverteiler und Wasserzähler in Ihrem Haus "
        "ab. Den genauen Termin finden Sie rechtzeitig als Aushang im Hausflur.",
        "Bitte ermöglichen Sie dem Messdienst den Zugang zu allen Räumen mit Heizkörpern und Wasserzählern. "
        "Können Sie den Termin nicht wahrnehmen, melden Sie sich bitte bei uns.",
    ]),
    ("juergen", "MG-104711", 150, 149, "Dividende auf Ihre Geschäftsanteile", [
        "die Vertreterversammlung hat beschlossen, auf die Geschäftsguthaben eine Dividende von 4 % "
        "auszuschütten. Der Betrag wird Ihnen in den nächsten Tagen gutgeschrieben.",
        "Die Dividende ist ein Kapitalertrag; wir berücksichtigen Ihren Freistellungsauftrag.",
    ]),
    ("gisela_l", "MV-1004-0112", 12, None, "Ablesung der Heizkostenverteiler und Wasserzähler", [
        "in den kommenden Wochen liest unser Messdienst die Heizkostenverteiler und Wasserzähler in Ihrem Haus "
        "ab. Den genauen Termin finden Sie rechtzeitig als Aushang im Hausflur.",
    ]),
    ("lukasz", "MV-1012-0405", 3, None, "Austausch der Rauchwarnmelder", [
        "in Ihrem Haus tauschen wir die Rauchwarnmelder gegen neue Geräte mit zehnjähriger Batterie aus. "
        "Der Austausch dauert je Wohnung etwa 15 Minuten.",
        "Bitte sorgen Sie dafür, dass unser Dienstleister am angekündigten Tag Zugang zu Ihrer Wohnung hat.",
    ]),
    ("hannelore", "MG-095127", 150, None, "Dividende auf Ihre Geschäftsanteile", [
        "die Vertreterversammlung hat beschlossen, auf die Geschäftsguthaben eine Dividende von 4 % "
        "auszuschütten. Der Betrag wird Ihnen in den nächsten Tagen gutgeschrieben.",
    ]),
    ("suekrue", "MV-301-0201", 5, None, "Strangsanierung in der Dieskaustraße 170", [
        "ab dem kommenden Monat erneuern wir die Wasser- und Abwasserleitungen in Ihrem Haus. Während der "
        "Arbeiten in Ihrer Wohnung steht Ihnen für etwa zwei Wochen ein Sanitärcontainer im Hof zur Verfügung.",
        "Den Zeitplan für Ihren Strang erhalten Sie zwei Wochen vor Beginn. Bei Fragen erreichen Sie uns "
        "telefonisch oder über das WIR-immerda-Serviceportal.",
    ]),
    ("gisela_e", "GA-G-014", 60, 58, "Neue Schließanlage für die Garagen", [
        "wir erneuern die Schlösser der Garagen an der Gerhard-Ellrodt-Straße. Ihren neuen Schlüssel erhalten Sie "
        "gegen Rückgabe des alten in unserer Geschäftsstelle.",
    ]),
    ("dieter", "MV-305-0302", 20, 19, "Zahlungserinnerung", [
        "auf Ihrem Mietkonto ist ein Betrag von 412,36 € offen. Sicher haben Sie die Zahlung nur übersehen.",
        "Bitte überweisen Sie den Betrag in den nächsten Tagen. Wenn Sie Fragen haben oder eine Ratenzahlung "
        "vereinbaren möchten, sprechen Sie uns bitte an.",
    ]),
]

# Verbrauch (§ 6a HeizkostenV): the remotely read meters of the demo flats, as the metering service numbers them.
# unit → (heating kWh per m² and year, [(meter number, kind, measure, factor to kWh, share of the kind)]);
# a share splits a flat's heating between its Heizkostenverteiler (one per radiator).
METERS = {
    "1001-0203": (96, [("WMZ 61 1001 0203", "heating", "kWh", None, 1),
                       ("WWZ 1001 0203", "hot_water", "m³", "58", 1), ("KWZ 1001 0203", "cold_water", "m³", None, 1)]),
    "1004-0112": (112, [("WMZ 61 1004 0112", "heating", "kWh", None, 1),
                        ("WWZ 1004 0112", "hot_water", "m³", "58", 1), ("KWZ 1004 0112", "cold_water", "m³", None, 1)]),
    "1012-0405": (74, [("WMZ 61 1012 0405", "heating", "kWh", None, 1),
                       ("WWZ 1012 0405", "hot_water", "kWh", None, 1), ("KWZ 1012 0405", "cold_water", "m³", None, 1)]),
    "2003-0001": (121, [("WMZ 61 2003 0001", "heating", "kWh", None, 1),
                        ("WWZ 2003 0001", "hot_water", "m³", "58", 1), ("KWZ 2003 0001", "cold_water", "m³", None, 1)]),
    "301-0201": (132, [("HKV 301-0201-1", "heating", "Einheiten", "0.85", "0.45"),
                       ("HKV 301-0201-2", "heating", "Einheiten", "1.1", "0.35"),
                       ("HKV 301-0201-3", "heating", "Einheiten", "0.65", "0.2"),
                       ("WMZ-WW 301-0201", "hot_water", "kWh", None, 1),
                       ("KWZ 301-0201", "cold_water", "m³", None, 1)]),
    "305-0302": (126, [("HKV 305-0302-1", "heating", "Einheiten", "0.9", "0.6"),
                       ("HKV 305-0302-2", "heating", "Einheiten", "0.75", "0.4"),
                       ("WWZ 305-0302", "hot_water", "m³", "58", 1), ("KWZ 305-0302", "cold_water", "m³", None, 1)]),
}
# the buildings' average user: heating kWh per m² and year, and the average flat's living area (m²)
BUILDING_AVERAGES = {"Stuttgarter Allee 18": (101, "63.2"), "Alte Salzstraße 61": (104, "55.8"),
                     "Mannheimer Straße 45": (98, "52.4"), "Brünnler Straße 6": (103, "58.9"),
                     "Dieskaustraße 170": (138, "79.5"), "Windorfer Straße 52": (129, "61.0")}
CONSUMPTION_MONTHS = 36  # full months, ending with the one before today's
# Jürgen Müller's heat meter: one month the service never delivered (shown as missing, never as zero) and one it
# corrected later (months before today's)
MISSING_MONTH = ("WMZ 61 1001 0203", 14)
CORRECTED_MONTH = ("WMZ 61 1001 0203", 3)
