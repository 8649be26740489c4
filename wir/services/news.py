"""Neuigkeiten of the cooperatives."""

from wir import clock
from wir.models import NewsItem


def current_news(cooperatives, limit: int = 5) -> list[NewsItem]:
    """Published, unexpired news of these cooperatives, newest first."""
    moment = clock.now()
    return list(
        NewsItem.select()
        .where(
            NewsItem.cooperative.in_([c.id for c in cooperatives])
            & (NewsItem.published_at <= moment)
            & (NewsItem.expires_at.is_null() | (NewsItem.expires_at > moment))
        )
        .order_by(NewsItem.published_at.desc())
        .limit(limit)
    )
