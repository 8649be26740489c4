"""The one source of the current time, so tests can move it."""

import calendar
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
