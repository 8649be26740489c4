"""Who a user is: sign-in with throttling, sessions, the password asked again before a sensitive change, Passwort
ändern and password reset, and the persons behind a login."""

import hashlib
from datetime import datetime, timedelta

from wir import audit, clock, db, mail
from wir.db.prepared import Prepared
from wir.formatting import german_datetime
from wir.models import LoginThrottle, User
from wir.services import scope
from wir.services.account import confirmations, password_rules, passwords
from wir.services.rejections import Rejected

# Wrong passwords are counted per sign-in address, whether or not an account has it (DESIGN.md §6).
# In every round of five: short waits after the 3rd and 4th, a lock after the 5th (README "Sessions").
DELAY_FROM_FAILURE = 3
FIRST_DELAY = timedelta(seconds=30)
LOCK_AFTER_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
# NIST SP 800-63B: at most 100 failures in a row; then only a password reset opens the address again.
MAX_FAILURES = 100
RESET_VALID = timedelta(hours=1)
RESET_PURPOSE = "password_reset"
# a new staff account's first password (services.staff.staff_accounts): the same links, longer valid
SETUP_PURPOSE = "staff_setup"
SETUP_VALID = timedelta(days=7)


class LoginRefused(Exception):
    """reason: 'invalid' (wrong e-mail or password), 'locked' (until; None: until a password reset), 'unconfirmed'.

    user_id (None for an unknown address) and locked_now (this attempt set the lock) are for the logs only:
    what the person sees depends on reason and until alone, the same for every address.
    """

    def __init__(self, reason: str, until: datetime | None = None, user_id: int | None = None,
                 locked_now: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.until = until
        self.user_id = user_id
        self.locked_now = locked_now


class InvalidResetLink(Exception):
    pass


def normalize_email(email: str) -> str:
    return email.strip().lower()


def address_hash(email: str) -> str:
    """The key of an address in LoginThrottle and in the security log: no readable addresses of strangers."""
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()


def authenticate(email: str, password: str, *, sign_in: bool = False) -> User:
    """The user with this e-mail and password; raises LoginRefused.

    Shared by sign-in (``sign_in=True``: records the sign-in) and re-authentication. Known and unknown
    addresses take the same path: one throttle lookup, one password hash check (a dummy one without an
    account), the same writes on failure, and the same answers. The slow hash check runs outside any
    transaction, so sign-ins do not queue behind each other.
    """
    key = address_hash(email)
    user = User.get_or_none((User.email == normalize_email(email)) & (User.is_active == True))  # noqa: E712
    user_id = user.id if user else None
    throttle = LoginThrottle.get_or_none(LoginThrottle.address_hash == key)
    if throttle and _is_locked(throttle):
        raise LoginRefused("locked", throttle.locked_until, user_id)
    if user is None:
        passwords.dummy_verify(password)
        verified = False
    else:
        verified = passwords.verify_password(user.password_hash, password)
    if not verified:
        raise _count_failure(key, user)
    if user.confirmed_at is None:
        raise LoginRefused("unconfirmed", user_id=user_id)
    # Staff sign in with a second factor (services.second_factor): their password alone ends no round of
    # failures, so wrong codes count on from wrong passwords; the accepted code completes the sign-in.
    second_step = sign_in and user.is_staff
    changes = {}
    if passwords.needs_rehash(user.password_hash):
        changes[User.password_hash] = passwords.hash_password(password)
    if second_step:
        with db.write_transaction():
            if changes:
                User.update(changes).where(User.id == user.id).execute()
            audit.record(user, "login.password_accepted")
        return User.get_by_id(user.id)
    if sign_in:
        changes[User.last_login_at] = clock.now()
    if not (changes or throttle):
        return user
    with db.write_transaction():
        if changes:
            User.update(changes).where(User.id == user.id).execute()
        if throttle:  # a success ends the round of failures
            LoginThrottle.delete().where(LoginThrottle.address_hash == key).execute()
        if sign_in:
            audit.record(user, "login.succeeded")
    return User.get_by_id(user.id)


def complete_sign_in(user: User, detail: str) -> None:
    """The second step of a staff sign-in succeeded: the round of failures ends, the sign-in is recorded.

    Runs in the caller's transaction (the code's acceptance and this are one change).
    """
    User.update(last_login_at=clock.now()).where(User.id == user.id).execute()
    LoginThrottle.delete().where(LoginThrottle.address_hash == address_hash(user.email)).execute()
    audit.record(user, "login.succeeded", detail=detail)


def ensure_not_locked(user: User) -> None:
    """Raise LoginRefused('locked') while the user's address is locked (by wrong passwords or wrong codes)."""
    throttle = LoginThrottle.get_or_none(LoginThrottle.address_hash == address_hash(user.email))
    if throttle and _is_locked(throttle):
        raise LoginRefused("locked", throttle.locked_until, user.id)


def count_wrong_code(user: User) -> LoginRefused:
    """A wrong second-factor code counts like a wrong password: the same waits and the same lock."""
    return _count_failure(address_hash(user.email), user, "falsche Passwörter oder Codes")


def _is_locked(throttle: LoginThrottle) -> bool:
    return throttle.failures >= MAX_FAILURES or bool(throttle.locked_until and throttle.locked_until > clock.now())


def _count_failure(key: str, user: User | None, what: str = "falsche Passwörter") -> LoginRefused:
    """Count a wrong password for the address: the same writes whether or not ``user`` exists.

    Only the address waits: open sessions of its account go on (the failures may be a stranger's).
    """
    now = clock.now()
    with db.write_transaction():
        (LoginThrottle.insert(address_hash=key, failures=1, last_failure_at=now)
         .on_conflict(conflict_target=[LoginThrottle.address_hash],
                      update={LoginThrottle.failures: LoginThrottle.failures + 1, LoginThrottle.last_failure_at: now})
         .execute())
        failures = LoginThrottle.get(LoginThrottle.address_hash == key).failures
        in_round = (failures - 1) % LOCK_AFTER_FAILURES + 1
        if failures >= MAX_FAILURES:
            until, action = None, "login.locked"
        elif in_round >= LOCK_AFTER_FAILURES:
            until, action = now + LOCK_DURATION, "login.locked"
        elif in_round >= DELAY_FROM_FAILURE:
            until, action = now + FIRST_DELAY * 2 ** (in_round - DELAY_FROM_FAILURE), "login.failed"
        else:
            until, action = None, "login.failed"
        LoginThrottle.update(locked_until=until).where(LoginThrottle.address_hash == key).execute()
        audit.record(user, action, detail=f"{failures} {what} in Folge")
    user_id = user.id if user else None
    if failures >= MAX_FAILURES or until:
        return LoginRefused("locked", until, user_id, locked_now=action == "login.locked")
    return LoginRefused("invalid", user_id=user_id)


# every request of a signed-in user runs it
_USER_FOR_SESSION = Prepared(
    lambda user_id, session_version: User.select()
    .where((User.id == user_id) & (User.session_version == session_version) & User.is_active)
)


def user_for_session(user_id: int, session_version: int) -> User | None:
    """The user of a session, unless the session was revoked (version bumped) or the user disabled."""
    return _USER_FOR_SESSION.first(user_id, session_version)


def end_all_sessions(user: User) -> None:
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()


def confirm_contact_data(user: User) -> None:
    User.update(contact_reviewed_at=clock.now()).where(User.id == user.id).execute()


def password_context_words(user: User) -> list[str]:
    names = [part for person in scope.persons_of(user) for part in (person.first_name, person.last_name)]
    return password_rules.context_words(*names, user.staff_name or "", user.email)


def mail_to_user(user: User, subject: str, template: str, **context) -> None:
    """Queue a mail to the user, greeted by name and signed by (the first of) their cooperative(s)."""
    persons = scope.persons_of(user)
    name = persons[0].full_name if persons else (user.staff_name or user.email)
    cooperative = persons[0].cooperative if persons else None
    mail.queue_mail(user.email, subject, template, name=name, cooperative=cooperative, **context)


def request_password_reset(email: str) -> User | None:
    """Mail a reset link valid for one hour; nothing happens, visibly the same, for unknown addresses.

    Returns the user (None for an unknown address) for the log only.
    """
    with db.write_transaction():
        user = User.get_or_none((User.email == normalize_email(email)) & (User.is_active == True))  # noqa: E712
        if user is None:
            return None
        audit.record(user, "password.reset_requested")
        issued = confirmations.issue(user, RESET_PURPOSE, user.email, RESET_VALID)
        mail_to_user(
            user,
            "Passwort zurücksetzen",
            "password_reset",
            reset_url=mail.external_url("auth.reset_password", token=issued.token),
            valid_minutes=int(RESET_VALID.total_seconds() // 60),
        )
        return user


def _open_link(token: str, purpose: str):
    """The open confirmation of ``purpose`` (RESET_PURPOSE or SETUP_PURPOSE) behind a link and its active user,
    or (None, None)."""
    confirmation = confirmations.find_by_token(token, purpose)
    user = User.get_or_none((User.id == confirmation.user_id) & User.is_active) if confirmation else None
    return (confirmation, user) if user else (None, None)


def reset_link_user(token: str, purpose: str = RESET_PURPOSE) -> User | None:
    return _open_link(token, purpose)[1]


def reset_password(token: str, new_password: str, purpose: str = RESET_PURPOSE) -> User:
    """Set the new password, end every session and send a notice. Raises InvalidResetLink or Rejected.

    A staff member's set-up link (SETUP_PURPOSE) sets the first password: there is no earlier one to give notice of
    a change. Either link proves a staff member's address (a colleague whose set-up link expired may use Passwort
    vergessen instead); tenants confirm theirs at the registration.
    """
    setting_up = purpose == SETUP_PURPOSE
    with db.write_transaction():
        confirmation, user = _open_link(token, purpose)
        if user is None:
            raise InvalidResetLink
        password_rules.check(new_password, password_context_words(user))
        if not confirmations.use(confirmation):
            raise InvalidResetLink
        if user.confirmed_at is None and user.is_staff:  # a mailed link proves a colleague's address, either one
            user.confirmed_at = clock.now()
        set_password(user, new_password, notice=not setting_up)
        if setting_up:
            audit.record(user, "staff_account.set_up", user, cooperative=user.cooperative_id)
        else:
            audit.record(user, "password.reset")
        return user


def set_password(user: User, new_password: str, notice: bool = True) -> None:
    """New hash, every session ended, the address's sign-in lock lifted, notice mail (unless not ``notice``)."""
    user.password_hash = passwords.hash_password(new_password)
    user.session_version += 1
    user.save()
    LoginThrottle.delete().where(LoginThrottle.address_hash == address_hash(user.email)).execute()
    if notice:
        mail_to_user(user, "Ihr Passwort wurde geändert", "password_changed")


THROTTLE_KEPT = timedelta(days=1)  # a round of wrong passwords is forgotten a day after its last one


def prune_login_throttles(now: datetime) -> int:
    """Delete the rounds of wrong passwords that hold nothing back any more: the last failure over a day ago,
    no lock running. A lock for good (MAX_FAILURES) stays until the password is reset. Returns how many."""
    with db.write_transaction():
        return (
            LoginThrottle.delete()
            .where(
                (LoginThrottle.last_failure_at < now - THROTTLE_KEPT)
                & (LoginThrottle.failures < MAX_FAILURES)
                & (LoginThrottle.locked_until.is_null() | (LoginThrottle.locked_until < now))
            )
            .execute()
        )


# --- the password asked again before a sensitive change, and Passwort ändern ---


WRONG_PASSWORD = "Das Passwort ist nicht richtig."


def confirm_password(user: User, password: str, field: str = "password") -> None:
    """Raise Rejected(field) unless ``password`` is the user's.

    It goes through sign-in's own check, so wrong passwords count towards the same
    lock: an unattended session cannot be used to guess the password.
    """
    try:
        authenticate(user.email, password or "")
    except LoginRefused as refused:
        if refused.reason == "locked":
            if refused.locked_now:
                # someone guessing in an unattended session is signed out with the lock
                end_all_sessions(user)
            until = f"bis {german_datetime(refused.until)}" if refused.until else "bis zum Zurücksetzen des Passworts"
            raise Rejected(
                field, f"Zu viele falsche Passwörter. Aus Sicherheitsgründen ist Ihr Zugang {until} gesperrt."
            ) from None
        raise Rejected(field, WRONG_PASSWORD) from None


def change_password(user: User, current: str, new: str) -> User:
    """Set the new password; returns the user with the new session version (the caller signs in again).

    set_password ends every session and mails the notice. Raises Rejected for
    ``current_password`` or ``password``.
    """
    confirm_password(user, current, field="current_password")
    if new == current:
        raise Rejected("password", "Das neue Passwort muss sich vom bisherigen unterscheiden.")
    password_rules.check(new, password_context_words(user))
    with db.write_transaction():
        fresh = User.get_by_id(user.id)  # not the request's copy: sign-in just updated the row
        set_password(fresh, new)
        audit.record(fresh, "password.changed")
    return fresh
