"""Who a user is: sign-in with lockout, sessions, password reset, and the persons behind a login."""

from datetime import datetime, timedelta

from wir import clock, db, mail
from wir.models import Cooperative, Person, User
from wir.services import confirmations, password_rules, passwords

# Progressive delay after the 3rd and 4th wrong password, then a lock (DESIGN.md §6).
DELAY_FROM_FAILURE = 3
FIRST_DELAY = timedelta(seconds=30)
LOCK_AFTER_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
RESET_VALID = timedelta(hours=1)
RESET_PURPOSE = "password_reset"


class LoginRefused(Exception):
    """reason: 'invalid' (wrong e-mail or password), 'locked' (until), 'unconfirmed'."""

    def __init__(self, reason: str, until: datetime | None = None):
        super().__init__(reason)
        self.reason = reason
        self.until = until


class InvalidResetLink(Exception):
    pass


def normalize_email(email: str) -> str:
    return email.strip().lower()


def authenticate(email: str, password: str) -> User:
    """The user with this e-mail and password; raises LoginRefused. Unknown addresses cost the same work.

    The slow hash check runs outside any transaction, so sign-ins do not queue behind each other.
    """
    user = User.get_or_none(User.email == normalize_email(email))
    if user is None or not user.is_active:
        passwords.dummy_verify(password)
        raise LoginRefused("invalid")
    if user.locked_until and user.locked_until > clock.now():
        raise LoginRefused("locked", user.locked_until)
    if not passwords.verify_password(user.password_hash, password):
        locked_until = _count_failure(user)
        raise LoginRefused("locked", locked_until) if locked_until else LoginRefused("invalid")
    if user.confirmed_at is None:
        raise LoginRefused("unconfirmed")
    changes = {User.failed_logins: 0, User.locked_until: None, User.last_login_at: clock.now()}
    if passwords.needs_rehash(user.password_hash):
        changes[User.password_hash] = passwords.hash_password(password)
    with db.write_transaction():
        User.update(changes).where(User.id == user.id).execute()
    return User.get_by_id(user.id)


def _count_failure(user: User) -> datetime | None:
    """Count a wrong password; returns the time until which sign-in is refused, if any."""
    with db.write_transaction():
        User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
        failures = User.get_by_id(user.id).failed_logins
        if failures >= LOCK_AFTER_FAILURES:
            until = clock.now() + LOCK_DURATION
            # a lock ends every open session too
            changes = {User.locked_until: until, User.failed_logins: 0, User.session_version: User.session_version + 1}
        elif failures >= DELAY_FROM_FAILURE:
            until = clock.now() + FIRST_DELAY * 2 ** (failures - DELAY_FROM_FAILURE)
            changes = {User.locked_until: until}
        else:
            return None
        User.update(changes).where(User.id == user.id).execute()
        return until


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


def confirm_contact_data(user: User) -> None:
    User.update(contact_reviewed_at=clock.now()).where(User.id == user.id).execute()


def password_context_words(user: User) -> list[str]:
    names = [part for person in persons_of(user) for part in (person.first_name, person.last_name)]
    return password_rules.context_words(*names, user.staff_name or "", user.email)


def mail_to_user(user: User, subject: str, template: str, **context) -> None:
    """Queue a mail to the user, greeted by name and signed by (the first of) their cooperative(s)."""
    persons = persons_of(user)
    name = persons[0].full_name if persons else (user.staff_name or user.email)
    cooperative = persons[0].cooperative if persons else None
    mail.queue_mail(user.email, subject, template, name=name, cooperative=cooperative, **context)


def request_password_reset(email: str) -> None:
    """Mail a reset link valid for one hour; nothing happens, visibly the same, for unknown addresses."""
    with db.write_transaction():
        user = User.get_or_none((User.email == normalize_email(email)) & (User.is_active == True))  # noqa: E712
        if user is None:
            return
        issued = confirmations.issue(user, RESET_PURPOSE, user.email, RESET_VALID)
        mail_to_user(
            user,
            "Passwort zurücksetzen",
            "password_reset",
            reset_url=mail.external_url("auth.reset_password", token=issued.token),
            valid_minutes=int(RESET_VALID.total_seconds() // 60),
        )


def reset_link_user(token: str) -> User | None:
    confirmation = confirmations.find_by_token(token, RESET_PURPOSE)
    return User.get_by_id(confirmation.user_id) if confirmation else None


def reset_password(token: str, new_password: str) -> User:
    """Set the new password, end every session and send a notice. Raises InvalidResetLink or PasswordRejected."""
    with db.write_transaction():
        confirmation = confirmations.find_by_token(token, RESET_PURPOSE)
        if confirmation is None:
            raise InvalidResetLink
        user = User.get_by_id(confirmation.user_id)
        rejected = password_rules.problems(new_password, password_context_words(user))
        if rejected:
            raise password_rules.PasswordRejected(rejected)
        if not confirmations.use(confirmation):
            raise InvalidResetLink
        set_password(user, new_password)
        return user


def set_password(user: User, new_password: str) -> None:
    """New hash, every session ended, lock lifted, notice mail."""
    user.password_hash = passwords.hash_password(new_password)
    user.session_version += 1
    user.failed_logins = 0
    user.locked_until = None
    user.save()
    mail_to_user(user, "Ihr Passwort wurde geändert", "password_changed")
