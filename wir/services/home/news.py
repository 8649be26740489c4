"""Neuigkeiten of the cooperatives: what tenants see on the Startseite, and how staff write them.

A news item is plain text (paragraphs, links made by formatting.paragraphs; no HTML is ever rendered), shown from
the start of its first day (published_at) until the start of the day it is taken down (expires_at, optional).

Aushänge per house: an item is for all tenants of its cooperative (``ALL``) or only for chosen houses (``HOUSES``,
its NewsAudience rows). A house is what Unit.street (street and house number) and Unit.postcode name together;
a whole street is chosen as all its houses. A person reads an item for houses while they are a party of a
contract, not ended before today, whose unit is in one of them (``_in_houses``: the Startseite's query and the
mails use the same rule).

Mail (``notify``): once an item is on the Startseite, each user with a confirmed, active login who may read it gets
one mail. Exactly once: the NewsMail row (item, user) is written in the transaction that queues the user's mail,
and its unique index decides between two workers (the loser's insert fails inside a savepoint and it queues
nothing); recipients are taken in batches (BATCH_SIZE per transaction), so a worker that dies leaves the rest to
the next run (the periodic sweep in wir.tasks). Saving the item again with the box ticked mails whoever may read it
now and was not mailed yet (a house added), never anybody twice.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from peewee import SQL, IntegrityError, fn

from wir import audit, clock, db, mail
from wir.db.prepared import Prepared
from wir.models import Contract, ContractParty, Cooperative, NewsAudience, NewsItem, NewsMail, Person, Unit, User
from wir.services import scope, text, versions
from wir.services.rejections import Rejected

TITLE_MAX = 150
BODY_MAX = 5_000
HOUSES_MAX = 20_000  # the typed houses: 300 addresses with room to spare
PLANNED, SHOWN, EXPIRED = "geplant", "sichtbar", "abgelaufen"
ALL, HOUSES = "all", "houses"
AUDIENCES = {ALL: "Alle Mieterinnen und Mieter der Genossenschaft", HOUSES: "Nur bestimmte Häuser oder Straßen"}
BATCH_SIZE = 200  # recipients per transaction


def _in_houses(news_item, cooperative, person, today):
    """SQL: the person is a party of a contract, not ended before ``today``, whose unit is in one of the item's
    houses (columns of an outer query or values)."""
    return fn.EXISTS(
        NewsAudience.select(SQL("1"))
        .join(Unit, on=(Unit.cooperative == cooperative) & (Unit.street == NewsAudience.street)
              & (Unit.postcode == NewsAudience.postcode))
        .join(Contract, on=Contract.unit == Unit.id)
        .join(ContractParty, on=ContractParty.contract == Contract.id)
        .where((NewsAudience.news_item == news_item) & (ContractParty.person == person)
               & (Contract.end_date.is_null() | (Contract.end_date >= today))))


def _current_news_query(*values):  # the moment (twice), the persons' ids, ALL, today, the limit
    moment, _moment, *person_ids, everyone, today, limit = values
    reader = Person.select(SQL("1")).where(
        Person.id.in_(person_ids) & (Person.cooperative == NewsItem.cooperative)
        & ((NewsItem.audience == everyone) | _in_houses(NewsItem.id, NewsItem.cooperative, Person.id, today)))
    return (
        NewsItem.select()
        .where(
            (NewsItem.published_at <= moment)
            & (NewsItem.expires_at.is_null() | (NewsItem.expires_at > moment))
            & fn.EXISTS(reader)
        )
        .order_by(NewsItem.published_at.desc(), NewsItem.id.desc())
        .limit(limit)
    )


_CURRENT_NEWS = Prepared(_current_news_query)  # the Startseite


def current_news(persons, limit: int = 5) -> list[NewsItem]:
    """Published, unexpired news of these persons' cooperatives that concern them (for all tenants, or for a house
    one of them lives in), newest first: one query, whatever the number of houses."""
    if not persons:
        return []
    moment = clock.now()
    return _CURRENT_NEWS.rows(moment, moment, *[person.id for person in persons], ALL, clock.today(), limit)


# --- for staff ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    title: str
    body: str
    publish_on: date | None
    expires_on: date | None = None
    audience: str = ALL
    houses: str = ""  # for HOUSES: one house or street per line, as typed (chosen_houses)
    notify: bool = False


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


def check(draft: Draft, cooperative) -> tuple[Draft, list[tuple[str, str]]]:
    """The draft as it will be kept and the houses it is for (street, postcode; none for ALL); raises
    Rejected('title' | 'body' | 'publish_on' | 'expires_on' | 'audience' | 'houses')."""
    title = " ".join(text.check("title", draft.title, "Bitte geben Sie eine Überschrift ein.", TITLE_MAX).split())
    body = text.check("body", draft.body, "Bitte schreiben Sie den Text der Neuigkeit.", BODY_MAX)
    if draft.publish_on is None:
        raise Rejected("publish_on", "Bitte geben Sie an, ab wann die Neuigkeit erscheint.")
    if draft.expires_on is not None and draft.expires_on <= draft.publish_on:
        raise Rejected("expires_on", "Der Tag zum Ausblenden muss nach dem ersten Tag liegen.")
    if draft.audience not in AUDIENCES:
        raise Rejected("audience", "Bitte wählen Sie, für wen die Neuigkeit ist.")
    houses = chosen_houses(cooperative, draft.houses) if draft.audience == HOUSES else []
    return Draft(title, body, draft.publish_on, draft.expires_on, draft.audience, draft.houses, draft.notify), houses


def _folded(address: str) -> str:
    return " ".join(address.split()).casefold()


def _on_street(house: str, street: str) -> bool:
    """The folded house ("stuttgarter allee 18") is on the folded street ("stuttgarter allee")."""
    return house.startswith(street + " ") and house[len(street) + 1:][:1].isdigit()


def chosen_houses(cooperative, typed: str) -> list[tuple[str, str]]:
    """The cooperative's houses (street, postcode) the typed lines name, each once, in the order typed. A line is a
    house as the units write it („Stuttgarter Allee 18“) or a street („Stuttgarter Allee“: all its houses), where
    needed with the postcode after a comma („Stuttgarter Allee 18, 04209“, „…, 04209 Leipzig“); case and spaces
    do not matter. Raises Rejected('houses') about the first line that names none of them."""
    typed = text.check("houses", typed, "Bitte nennen Sie mindestens ein Haus oder eine Straße (eine je Zeile).",
                       HOUSES_MAX)
    known = list(Unit.select(Unit.street, Unit.postcode).where(Unit.cooperative == cooperative).distinct()
                 .order_by(Unit.street, Unit.postcode).tuples())
    chosen: dict[tuple[str, str], None] = {}
    for line in typed.splitlines():
        address, _, place = " ".join(line.split()).partition(",")
        if not address:
            continue
        wanted, postcode = _folded(address), (place.split() or [""])[0]
        houses = [house for house in known if _folded(house[0]) == wanted]
        exact = bool(houses)
        houses = houses or [house for house in known if _on_street(_folded(house[0]), wanted)]
        if postcode:
            houses = [house for house in houses if house[1] == postcode]
        if not houses:
            example = f"z. B. „{known[0][0]}“" if known else "wie in den Mietverträgen"
            raise Rejected("houses", f"„{line.strip()[:60]}“ ist kein Haus und keine Straße der Genossenschaft. "
                                     f"Bitte schreiben Sie Straße und Hausnummer wie in den Mietverträgen, {example}.")
        if exact and len(houses) > 1:
            raise Rejected("houses", f"„{address}“ gibt es unter mehreren Postleitzahlen "
                                     f"({', '.join(house[1] for house in houses)}). Bitte schreiben Sie die "
                                     f"Postleitzahl dazu, z. B. „{houses[0][0]}, {houses[0][1]}“.")
        chosen.update(dict.fromkeys(houses))
    return list(chosen)


def houses_of(item: NewsItem) -> str:
    """The item's houses as the form shows them, one a line with its postcode (never ambiguous when saved again)."""
    rows = item.houses.order_by(NewsAudience.street, NewsAudience.postcode)
    return "\n".join(f"{row.street}, {row.postcode}" for row in rows)


def preview(draft: Draft, cooperative: Cooperative | None) -> NewsItem:
    """The news item as tenants would see it, not saved. Raises Rejected like check()."""
    draft, _houses = check(draft, cooperative)
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


def _named(item: NewsItem) -> str:
    return f"„{item.title[:80]}“, ab {item.published_at.date().isoformat()}"


def _audit_detail(item: NewsItem, houses: list[tuple[str, str]]) -> str:
    audience = (f"für {len(houses)} {'Haus' if len(houses) == 1 else 'Häuser'}: "
                + ", ".join(street for street, _postcode in houses[:10]) + (" …" if len(houses) > 10 else "")
                if item.audience == HOUSES else "für alle")
    return f"{_named(item)}, {audience}" + (", mit E-Mail" if item.notify else "")


def _keep_houses(item: NewsItem, houses: list[tuple[str, str]]) -> None:
    """The item's houses are exactly ``houses`` (in the caller's transaction)."""
    NewsAudience.delete().where(NewsAudience.news_item == item.id).execute()
    if houses:
        NewsAudience.insert_many([{"news_item": item.id, "street": street, "postcode": postcode}
                                  for street, postcode in houses]).execute()


def create(clerk: User, cooperative: Cooperative, draft: Draft) -> NewsItem:
    """Save a new item; raises Rejected like check(). With ``notify`` the caller enqueues mail_readers."""
    draft, houses = check(draft, cooperative)
    with db.write_transaction():
        item = NewsItem.create(cooperative=cooperative, title=draft.title, body=draft.body,
                               published_at=start_of(draft.publish_on),
                               expires_at=start_of(draft.expires_on) if draft.expires_on else None,
                               audience=draft.audience, notify=draft.notify)
        _keep_houses(item, houses)
        audit.record(clerk, "news.created", item, _audit_detail(item, houses), cooperative)
    return item


def _claim(item: NewsItem, seen: int) -> int:
    """The item's next version if a colleague has not changed or deleted it since ``seen``; else versions.Conflict."""
    return versions.claim(NewsItem, item.id, seen, "Diese Neuigkeit", item, ("news.changed", "news.deleted"))


def update(clerk: User, item: NewsItem, draft: Draft, seen: int) -> NewsItem:
    """Save the edit of the item as its version ``seen`` showed it; raises Rejected like check(), versions.Conflict.
    With ``notify`` its mail is due again: whoever may read it now and was not mailed yet (the caller enqueues)."""
    draft, houses = check(draft, item.cooperative_id)
    item.title, item.body = draft.title, draft.body
    item.published_at = start_of(draft.publish_on)
    item.expires_at = start_of(draft.expires_on) if draft.expires_on else None
    item.audience, item.notify = draft.audience, draft.notify
    if draft.notify:
        item.mailed_at = None
    with db.write_transaction():
        item.version = _claim(item, seen)
        item.save()
        _keep_houses(item, houses)
        audit.record(clerk, "news.changed", item, _audit_detail(item, houses), item.cooperative_id)
    return item


def delete(clerk: User, item: NewsItem, seen: int) -> None:
    """Delete the item as its version ``seen`` showed it (its houses and mail records with it); raises
    versions.Conflict."""
    with db.write_transaction():
        _claim(item, seen)
        audit.record(clerk, "news.deleted", item, _named(item), item.cooperative_id)
        NewsItem.delete().where(NewsItem.id == item.id).execute()


# --- mail to the readers ------------------------------------------------------------------------------------------


def _unmailed_readers(item: NewsItem):
    """The persons of the item's cooperative with a confirmed, active login who may read it and whose user has not
    been mailed it (a query; with their users)."""
    condition = ((Person.cooperative == item.cooperative_id) & User.confirmed_at.is_null(False) & User.is_active
                 & ~fn.EXISTS(NewsMail.select(SQL("1")).where((NewsMail.news_item == item.id)
                                                              & (NewsMail.user == User.id))))
    if item.audience == HOUSES:
        condition &= _in_houses(item.id, item.cooperative_id, Person.id, clock.today())
    return Person.select(Person, User).join(User).where(condition)


def mail_readers(news_id: int, batch_size: int = BATCH_SIZE) -> int:
    """Mail the item to its readers not mailed yet, if it asks for mail and is on the Startseite now; returns the
    number of mails queued. Safe to run any time, and twice at once (see the module)."""
    item = NewsItem.select(NewsItem, Cooperative).join(Cooperative).where(NewsItem.id == news_id).first()
    if item is None or not item.notify or item.mailed_at is not None or state(item) != SHOWN:
        return 0
    url = mail.external_url("home.index")
    mailed, after = 0, 0
    while True:
        with db.write_transaction():
            batch = list(_unmailed_readers(item).where(Person.id > after).order_by(Person.id).limit(batch_size))
            for person in batch:
                mailed += _mail(item, person, url)
            if not batch:
                # done, unless the item changed meanwhile: its edit's own run mails by the new version
                NewsItem.update(mailed_at=clock.now()).where(
                    (NewsItem.id == item.id) & (NewsItem.version == item.version)).execute()
                if mailed:
                    audit.record(None, "news.mailed", item, f"„{item.title[:80]}“: {mailed} E-Mails",
                                 item.cooperative)
                return mailed
        after = batch[-1].id


def _mail(item: NewsItem, person: Person, url: str) -> int:
    """The person's user's mail and its NewsMail row, in the caller's transaction: 1, or 0 when another worker's row
    came first (nothing is queued then)."""
    try:
        with db.database.atomic():  # a savepoint: PostgreSQL's transaction survives the refused insert
            NewsMail.create(news_item=item, user=person.user, created_at=clock.now())
    except IntegrityError:
        return 0
    mail.queue_mail(person.user.email, f"Neuigkeit Ihrer Genossenschaft: {item.title}", "news",
                    cooperative=item.cooperative, name=person.full_name, title=item.title, body=item.body, url=url)
    return 1


def mail_due() -> int:
    """Mail every item that asks for mail, is on the Startseite and was not mailed to the end (saved ahead of its
    first day, its task lost, its worker died); returns the number of mails queued."""
    moment = clock.now()
    due = list(NewsItem.select(NewsItem.id)
               .where(NewsItem.notify & NewsItem.mailed_at.is_null() & (NewsItem.published_at <= moment)
                      & (NewsItem.expires_at.is_null() | (NewsItem.expires_at > moment)))
               .order_by(NewsItem.id).tuples())
    return sum(mail_readers(news_id) for (news_id,) in due)
