"""E-Mail-Adresse ändern: the login name changes only once the new mailbox confirmed it.

The requester always gets the same answer, whether or not the new address belongs
to another account: a link goes out only to a free address, the owner of a taken
one is told instead, and the old address gets a notice in both cases.
"""

from datetime import timedelta

from peewee import IntegrityError

from wir import audit, clock, db, mail
from wir.models import EmailConfirmation, User
from wir.services import scope
from wir.services.account import accounts, confirmations, email_addresses
from wir.services.erp_export import changes as erp_changes
from wir.services.rejections import Rejected

PURPOSE = "email_change"
VALID_FOR = timedelta(hours=24)


class InvalidEmailChange(Exception):
    """Unknown, used, expired or someone else's link, or the address was taken in the meantime."""


def _greeting(user: User) -> dict:
    persons = scope.persons_of(user)
    if not persons:
        return {"name": user.email, "cooperative": None}
    return {"name": persons[0].full_name, "cooperative": persons[0].cooperative}


def request_change(user: User, new_email: str, password: str) -> None:
    """Send the confirmation link to the new address and a notice to the current one. Raises Rejected."""
    new = email_addresses.normalize(new_email)
    if new == user.email:
        raise Rejected("email", "Das ist bereits Ihre E-Mail-Adresse. Bitte geben Sie die neue Adresse ein.")
    accounts.confirm_password(user, password)
    with db.write_transaction():
        issued = confirmations.issue(user, PURPOSE, new, VALID_FOR)
        greeting = _greeting(user)
        if User.select().where(User.email == new).exists():
            mail.queue_mail(new, "Ihre E-Mail-Adresse im WIR-immerda-Serviceportal", "email_change_taken",
                            login_url=mail.external_url("auth.login"), **greeting)
        else:
            mail.queue_mail(new, "Bitte bestätigen Sie Ihre neue E-Mail-Adresse", "email_change_confirm",
                            confirm_url=mail.external_url("account.confirm_email", token=issued.token),
                            valid_hours=int(VALID_FOR.total_seconds() // 3600), **greeting)
        mail.queue_mail(user.email, "Änderung Ihrer E-Mail-Adresse angefordert", "email_change_notice",
                        new_email=new, **greeting)
        audit.record(user, "email.change_requested", detail=f"neue Adresse {new}")


def pending_change(user: User) -> EmailConfirmation | None:
    """The open request, for "Bestätigung ausstehend" on the Kontaktdaten page."""
    return (
        EmailConfirmation.select()
        .where((EmailConfirmation.user == user) & (EmailConfirmation.purpose == PURPOSE)
               & EmailConfirmation.used_at.is_null() & (EmailConfirmation.expires_at > clock.now()))
        .order_by(EmailConfirmation.id.desc())
        .first()
    )


class ForeignLink(InvalidEmailChange):
    """An open link of another account: the caller answers 404, as for any object of someone else."""


def _open_link(user: User, token: str) -> EmailConfirmation:
    confirmation = confirmations.find_by_token(token, PURPOSE)
    if confirmation is None:
        raise InvalidEmailChange
    if confirmation.user_id != user.id:
        raise ForeignLink
    return confirmation


def check_link(user: User, token: str) -> None:
    """Raise InvalidEmailChange (or ForeignLink) unless the link is open and the user's."""
    _open_link(user, token)


def confirm(user: User, token: str) -> str:
    """Make the confirmed address the login name; returns it. Raises InvalidEmailChange."""
    try:
        with db.write_transaction():
            confirmation = _open_link(user, token)
            if not confirmations.use(confirmation):
                raise InvalidEmailChange
            old = User.get_by_id(user.id).email
            User.update(email=confirmation.email).where(User.id == user.id).execute()
            audit.record(user, "email.changed", detail=f"{old} → {confirmation.email}")
            erp_changes.contact_data(user, user)
    except IntegrityError:
        # another account took the address after the link was sent
        raise InvalidEmailChange from None
    return confirmation.email
