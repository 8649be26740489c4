"""The one source of the current time, so tests can move it, and the calendar arithmetic on its days and months."""

import calendar
import re
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Europe/Berlin")


def now() -> datetime:
    """Current time in UTC without tzinfo: the form every timestamp is stored in."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def today() -> date:
    """Today's date in Leipzig."""
    return to_local(now()).date()


def to_local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc).astimezone(LOCAL_ZONE)


def timestamp() -> int:
    """Seconds since the epoch, from now(): what sessions store."""
    return int(now().replace(tzinfo=timezone.utc).timestamp())


def local_midnight(day: date) -> datetime:
    """The start of ``day`` in Leipzig, in the stored form (UTC without tzinfo): what a moment known only by its day
    (a Freistellungsauftrag handed in on paper) is stored as, so that its day stays that day when shown in Leipzig."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_ZONE).astimezone(timezone.utc).replace(tzinfo=None)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the last day of that month when it has no such day (§ 188 Abs. 3 BGB)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_start(day: date) -> date:
    """The first day of ``day``'s month: how a month is stored (Verbrauch, its notices)."""
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_before(day: date, count: int) -> list[date]:
    """The first days of the ``count`` full months before ``day``'s month, newest first."""
    start = month_start(day)
    return [add_months(start, -back) for back in range(1, count + 1)]


_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")
_GERMAN_MONTH = re.compile(r"(\d{1,2})\.(\d{4})")
MONTH_YEARS = range(1900, 2201)  # a year outside is a typing mistake, not a month anyone means


def parse_month(text: str) -> date:
    """ "2026-11" or "11.2026": the first day of that month. Raises ValueError saying why, in German (the import
    report shows it to the clerk)."""
    text = text.strip()
    if match := _ISO_MONTH.fullmatch(text):
        year, month = (int(part) for part in match.groups())
    elif match := _GERMAN_MONTH.fullmatch(text):
        month, year = (int(part) for part in match.groups())
    else:
        raise ValueError(f"„{text}“ ist kein Monat wie 11.2026 oder 2026-11.")
    if not 1 <= month <= 12:
        raise ValueError(f"Einen Monat {month} gibt es nicht.")
    if year not in MONTH_YEARS:
        raise ValueError(f"Das Jahr {year} ist nicht plausibel.")
    return date(year, month, 1)
