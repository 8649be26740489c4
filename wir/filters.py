"""The functions of wir.formatting as Jinja filters, under the names the templates use; the statuses templates
compare with."""

from wir import formatting
from wir.models import JobStatus, TicketStatus


def init_app(app):
    app.add_template_global(TicketStatus, "TicketStatus")
    app.add_template_global(JobStatus, "JobStatus")
    app.add_template_filter(formatting.phone, "phone")
    app.add_template_filter(formatting.masked_iban, "masked_iban")
    app.add_template_filter(formatting.grouped_iban, "grouped_iban")
    app.add_template_filter(formatting.masked_tax_id, "masked_tax_id")
    app.add_template_filter(formatting.money, "money")
    app.add_template_filter(formatting.number, "number")
    app.add_template_filter(formatting.percent, "percent")
    app.add_template_filter(formatting.german_date, "date")
    app.add_template_filter(formatting.german_month, "month")
    app.add_template_filter(formatting.german_datetime, "datetime")
    app.add_template_filter(formatting.german_local_date, "local_date")
    app.add_template_filter(formatting.tel, "tel")
    app.add_template_filter(formatting.paragraphs, "paragraphs")
    app.add_template_filter(formatting.kilobytes, "kilobytes")
    app.add_template_filter(formatting.counted, "counted")  # {{ n|counted("Datei", "Dateien") }}
    app.add_template_filter(formatting.contact_title, "contact_title")  # {{ person.salutation|contact_title }}
