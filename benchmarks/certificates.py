"""How long each certificate takes to build as PDF (the builders alone: the data is already at hand).

    .venv/bin/python -m benchmarks.certificates [--runs 50]

Prints median, 90th percentile and CPU time per document type. The budget: the
Mietbescheinigung in at most 30 ms (median) on the development machine; the exit code
is 1 when it is over. The first document of a process also prepares the fonts (about
half a second) and is left out, as a running server has paid that already.
"""

import argparse
import statistics
import sys
import time
from datetime import date, datetime
from decimal import Decimal

from wir.pdf import form_copy, landlord_confirmation, membership_certificate, rent_clearance, rental_certificate
from wir.pdf.data import Flat, Letterhead

BUDGET_MS = {"Mietbescheinigung": 30.0}

HEAD = Letterhead("WG „Lipsia“ eG", "Brünnler Straße 12", "04209", "Leipzig", "Amtsgericht Leipzig", "GnR 146",
                  "0341 41519-0", "service@lipsia.example.org", "https://www.wg-lipsia.de")
FLAT = Flat("Stuttgarter Allee 18", "04209", "Leipzig", "2. OG", "links", "1001-0203")
ISSUED = date(2026, 5, 12)
CREATED = datetime(2026, 5, 12, 9, 30)

CASES = {
    "Mietbescheinigung": lambda: rental_certificate.build(rental_certificate.RentalCertificate(
        HEAD, "LD-2026-BENCH001", ISSUED, "MV-1001-0203",
        (rental_certificate.Tenant("Jürgen Müller", "Hauptmieter"), rental_certificate.Tenant("Monika Müller", "Mitmieter")),
        FLAT, date(1991, 10, 1), 2, Decimal("3"), Decimal("67.45"), "Fernwärme", 1978,
        Decimal("391.21"), Decimal("128.16"), Decimal("87.69"),
        (("Stellplatz 12 (Vertrag SP-9001-0012)", Decimal("30.00")),), "Jürgen Müller",
    ), creation_date=CREATED),
    "Wohnungsgeberbestätigung": lambda: landlord_confirmation.build(landlord_confirmation.LandlordConfirmation(
        HEAD, "LD-2026-BENCH002", ISSUED, "MV-1001-0203", FLAT, date(2026, 6, 1),
        ("Jürgen Müller", "Monika Müller", "Łukasz Żółć"), "Jürgen Müller",
    ), creation_date=CREATED),
    "Mitgliedsbescheinigung": lambda: membership_certificate.build(membership_certificate.MembershipCertificate(
        HEAD, "LD-2026-BENCH003", ISSUED, "Jürgen Müller", date(1958, 3, 14), "Stuttgarter Allee 18, 04209 Leipzig",
        "104711", date(1991, 9, 1), 9, 4, Decimal("155.00"), Decimal("2015.00"), "Mitgliedschaft besteht",
        "Jürgen Müller",
    ), creation_date=CREATED),
    "Mietschuldenfreiheitsbescheinigung": lambda: rent_clearance.build(rent_clearance.RentClearance(
        HEAD, "LD-2026-BENCH004", ISSUED, "MV-1001-0203", ("Jürgen Müller", "Monika Müller"), FLAT,
        date(1991, 10, 1), ISSUED, "Jürgen Müller",
    ), creation_date=CREATED),
    "Formularkopie (Kündigung)": lambda: form_copy.build(form_copy.FormCopy(
        HEAD, "LD-2026-BENCH005", ISSUED, "Kündigung des Nutzungsvertrags", CREATED, "Jürgen Müller",
        "Stuttgarter Allee 18, 04209 Leipzig", "Mietvertrag MV-1001-0203, Stuttgarter Allee 18",
        (("Kündigung zum", "31.08.2026"), ("Neue Anschrift", "Gartenweg 3, 04249 Leipzig")),
        ("Bitte unterschreiben Sie.",), ("Jürgen Müller", "Monika Müller"),
    ), creation_date=CREATED),
}


def measure(build, runs: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        build()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    CASES["Mietbescheinigung"]()  # prepares the fonts once per process
    over = []
    print(f"{'Dokument':38} {'Median':>9} {'p90':>9} {'CPU-Median':>11}  ({args.runs} Läufe)")
    for name, build in CASES.items():
        wall, cpu = measure(build, args.runs)
        median = statistics.median(wall)
        p90 = statistics.quantiles(wall, n=10)[-1]
        budget = BUDGET_MS.get(name)
        flag = "" if budget is None else (f"  ≤ {budget:.0f} ms ok" if median <= budget else f"  > {budget:.0f} ms!")
        print(f"{name:38} {median:7.1f} ms {p90:7.1f} ms {statistics.median(cpu):8.1f} ms{flag}")
        if budget is not None and median > budget:
            over.append(name)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
