"""Auswertung: a cooperative's figures (services.staff.figures) as charts with their tables, and as CSV.

Staff see their own cooperative (asking for another one is a 404); admins choose one with ``?genossenschaft=``
(the first without it), like the Export page.
"""

from decimal import Decimal

from flask import current_app, request

from wir import charts, pagination
from wir.blueprints.staff import bp, visible_cooperatives
from wir.blueprints.staff.erp_export import CHOOSE, chosen
from wir.rendering import render, send_bytes
from wir.services.staff import figures


def _charts(this: figures.Figures) -> dict:
    """The page's SVG charts by their ids, each described by the table beneath it (its id: the chart's with
    "-tabelle")."""

    def periods(chart_id, rows, title):
        points = [charts.MonthPoint(period.label, f"{period.name}: eingegangen", Decimal(received),
                                    f"{period.name}: abgeschlossen", Decimal(closed))
                  for period, received, closed in rows]
        return charts.month_chart(points, "", 0, chart_id=chart_id, title=title, table_id=f"{chart_id}-tabelle",
                                  legend=("eingegangen", "abgeschlossen"))

    def bars(chart_id, rows, unit, places, title):
        return charts.comparison_chart(rows, unit, places, chart_id=chart_id, title=title,
                                       table_id=f"{chart_id}-tabelle", one_series=True)

    d, documents = this.durations, this.documents
    return {
        "monate": periods("monate", this.month_totals, "Eingegangene und abgeschlossene Meldungen je Monat"),
        "wochen": periods("wochen", this.week_totals, "Eingegangene und abgeschlossene Meldungen je Woche"),
        "kategorien": bars("kategorien", [(f"{c.type_name}: {c.category_name}", Decimal(sum(c.received[:len(
            this.months)]))) for c in this.categories], "", 0, "Eingegangene Meldungen je Kategorie, 12 Monate"),
        "dauer": bars("dauer", [("Erste Antwort, Median", d.answer_median),
                                    ("Erste Antwort, 90 %", d.answer_p90),
                                    ("Abschluss, Median", d.close_median),
                                    ("Abschluss, 90 %", d.close_p90)], "Arbeitstage", 1,
                          "Bearbeitungszeit in Arbeitstagen"),
        "alter": bars("alter", [(label, Decimal(count)) for label, count in this.backlog], "", 0,
                        "Offene Meldungen nach Alter"),
        "dokumente": bars("dokumente", [(f"innerhalb von {figures.DOCUMENT_DAYS} Tagen", Decimal(documents.in_time)),
                                        ("später", Decimal(documents.later)), ("nicht", Decimal(documents.never))],
                          "", 0, "Dokumente nach ihrer ersten Öffnung"),
    }


@bp.route("/auswertung")
def figures_page():
    """Auswertung of one cooperative: Meldungen, Bearbeitungszeit, offene Meldungen, Registrierung, Dokumente."""
    cooperatives = visible_cooperatives()
    cooperative = chosen(cooperatives)
    this = figures.figures(cooperative)
    houses = pagination.paginate(figures.houses(cooperative, this.today), request.args.get("seite"),
                                 current_app.config["PAGE_SIZE"])
    return render("staff/figures.html", figures=this, charts=_charts(this), cooperatives=cooperatives,
                  houses=houses, house_rows=figures.house_rows(houses.items), params={CHOOSE: cooperative.slug},
                  document_days=figures.DOCUMENT_DAYS)


@bp.route("/auswertung.csv")
def figures_csv():
    """The figures of the page (every house) as CSV for German Excel."""
    cooperative = chosen(visible_cooperatives())
    this = figures.figures(cooperative)
    text = figures.csv_text(this, figures.house_rows(figures.houses(cooperative, this.today)))
    return send_bytes(text.encode("utf-8"), "text/csv", figures.csv_filename(this))
