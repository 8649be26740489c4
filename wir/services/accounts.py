"""Who a user is: sign-in checks and the persons and cooperatives behind a login."""

from wir import clock
from wir.models import Cooperative, Person, User
from wir.services import passwords


def normalize_email(email: str) -> str:
    return email.strip().lower()


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same work either way)."""
    user = User.get_or_none(User.email == normalize_email(email))
    if user is None:
        passwords.dummy_verify(password)
        return None
    if not passwords.verify_password(user.password_hash, password) or not user.is_active:
        return None
    user.last_login_at = clock.now()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.save()
    return user


def user_for_session(user_id: int, session_version: int) -> User | None:
    """The user of a session, unless the session was revoked (version bumped) or the user disabled."""
    return User.get_or_none(
        (User.id == user_id) & (User.session_version == session_version) & (User.is_active == True)  # noqa: E712
    )


def end_all_sessions(user: User) -> None:
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()


def persons_of(user: User) -> list[Person]:
    """The user's persons with their cooperatives, in one query."""
    return list(
        Person.select(Person, Cooperative)
        .join(Cooperative)
        .where(Person.user == user)
        .order_by(Cooperative.name)
    )
