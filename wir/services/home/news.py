"""Neuigkeiten of the cooperatives: what tenants see on the Startseite, and how staff write them.

A news item is plain text (paragraphs, links made by formatting.paragraphs; no HTML is ever rendered), shown from
the start of its first day (published_at) until the start of the day it is taken down (expires_at, optional).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from wir import audit, clock, db
from wir.db.prepared import Prepared
from wir.models import Cooperative, NewsItem, User
from wir.services import scope, text, versions
from wir.services.rejections import Rejected

TITLE_MAX = 150
BODY_MAX = 5_000
PLANNED, SHOWN, EXPIRED = "geplant", "sichtbar", "abgelaufen"


def _current_news_query(*values):  # the cooperatives' ids, the moment (twice), the limit
    *cooperative_ids, moment, _moment, limit = values
    return (
        NewsItem.select()
        .where(
            NewsItem.cooperative.in_(cooperative_ids)
            & (NewsItem.published_at <= moment)
            & (NewsItem.expires_at.is_null() | (NewsItem.expires_at > moment))
        )
        .order_by(NewsItem.published_at.desc(), NewsItem.id.desc())
        .limit(limit)
    )


_CURRENT_NEWS = Prepared(_current_news_query)  # the Startseite


def current_news(cooperatives, limit: int = 5) -> list[NewsItem]:
    """Published, unexpired news of these cooperatives, newest first."""
    if not cooperatives:
        return []
    moment = clock.now()
    return _CURRENT_NEWS.rows(*[c.id for c in cooperatives], moment, moment, limit)


# --- for staff ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    title: str
    body: str
    publish_on: date | None
    expires_on: date | None = None


def start_of(day: date) -> datetime:
    """The first moment of a day in Leipzig, as the naive UTC time news are stored with."""
    local = datetime.combine(day, time(), tzinfo=clock.LOCAL_ZONE)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def local_day(moment: datetime | None) -> date | None:
    return clock.to_local(moment).date() if moment else None


def state(item: NewsItem) -> str:
    """geplant (not yet on the Startseite), sichtbar, abgelaufen."""
    moment = clock.now()
    if item.published_at > moment:
        return PLANNED
    return EXPIRED if item.expires_at is not None and item.expires_at <= moment else SHOWN


def check(draft: Draft) -> Draft:
    """The draft as it will be kept; raises Rejected('title' | 'body' | 'publish_on' | 'expires_on')."""
    title = " ".join(text.check("title", draft.title, "Bitte geben Sie eine Überschrift ein.", TITLE_MAX).split())
    body = text.check("body", draft.body, "Bitte schreiben Sie den Text der Neuigkeit.", BODY_MAX)
    if draft.publish_on is None:
        raise Rejected("publish_on", "Bitte geben Sie an, ab wann die Neuigkeit erscheint.")
    if draft.expires_on is not None and draft.expires_on <= draft.publish_on:
        raise Rejected("expires_on", "Der Tag zum Ausblenden muss nach dem ersten Tag liegen.")
    return Draft(title, body, draft.publish_on, draft.expires_on)


def preview(draft: Draft, cooperative: Cooperative | None) -> NewsItem:
    """The news item as tenants would see it, not saved. Raises Rejected like check()."""
    draft = check(draft)
    return NewsItem(cooperative=cooperative, title=draft.title, body=draft.body,
                    published_at=start_of(draft.publish_on),
                    expires_at=start_of(draft.expires_on) if draft.expires_on else None)


def staff_news(user: User):
    """The news of the staff member's cooperative (admins: both), latest start first (a query to paginate)."""
    query = (NewsItem.select(NewsItem, Cooperative).join(Cooperative)
             .order_by(NewsItem.published_at.desc(), NewsItem.id.desc()))
    return scope.in_staff_scope(query, user, NewsItem.cooperative)


def news_item_of(user: User, news_id: int) -> NewsItem | None:
    return staff_news(user).where(NewsItem.id == news_id).first()


def _audit_detail(item: NewsItem) -> str:
    return f"„{item.title[:80]}“, ab {item.published_at.date().isoformat()}"


def create(clerk: User, cooperative: Cooperative, draft: Draft) -> NewsItem:
    draft = check(draft)
    with db.write_transaction():
        item = NewsItem.create(cooperative=cooperative, title=draft.title, body=draft.body,
                               published_at=start_of(draft.publish_on),
                               expires_at=start_of(draft.expires_on) if draft.expires_on else None)
        audit.record(clerk, "news.created", item, _audit_detail(item), cooperative)
    return item


def _claim(item: NewsItem, seen: int) -> int:
    """The item's next version if a colleague has not changed or deleted it since ``seen``; else versions.Conflict."""
    return versions.claim(NewsItem, item.id, seen, "Diese Neuigkeit", item, ("news.changed", "news.deleted"))


def update(clerk: User, item: NewsItem, draft: Draft, seen: int) -> NewsItem:
    """Save the edit of the item as its version ``seen`` showed it; raises Rejected like check(), versions.Conflict."""
    draft = check(draft)
    item.title, item.body = draft.title, draft.body
    item.published_at = start_of(draft.publish_on)
    item.expires_at = start_of(draft.expires_on) if draft.expires_on else None
    with db.write_transaction():
        item.version = _claim(item, seen)
        item.save()
        audit.record(clerk, "news.changed", item, _audit_detail(item), item.cooperative_id)
    return item


def delete(clerk: User, item: NewsItem, seen: int) -> None:
    """Delete the item as its version ``seen`` showed it; raises versions.Conflict."""
    with db.write_transaction():
        _claim(item, seen)
        audit.record(clerk, "news.deleted", item, _audit_detail(item), item.cooperative_id)
        NewsItem.delete().where(NewsItem.id == item.id).execute()
