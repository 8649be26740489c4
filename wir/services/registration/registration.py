"""Registrierung: a Registrierungsnummer from a letter opens an account, confirmed by mail.

The answer on screen never tells whether an e-mail address already has an account;
its owner gets a mail instead. A registration that is never confirmed expires, and
the Registrierungsnummer can then be used again.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from peewee import IntegrityError

from wir import clock, db, mail
from wir.models import (
    Cooperative,
    Person,
    PhoneNumber,
    RegistrationCode,
    RegistrationNumberRequest,
    User,
)
from wir.services.account import (
    accounts,
    confirmations,
    email_addresses,
    password_rules,
    passwords,
)
from wir.services.erp_export import changes as erp_changes
from wir.services.registration import names

CONFIRMATION_VALID = timedelta(hours=24)
PURPOSE = "registration"


class InvalidRegistrationCode(Exception):
    """Unknown, used, expired or not matching the name: deliberately one error for all."""


class InvalidConfirmation(Exception):
    """Link or code unknown, wrong, used or expired."""


@dataclass(frozen=True)
class RegistrationData:
    registration_number: str
    last_name: str
    email: str
    password: str


def normalize_code(code: str) -> str:
    """The printed form LIP-7K3M-9QX2, however it was typed (spaces, no dashes, lower case)."""
    plain = re.sub(r"[\s-]+", "", code).upper()
    return f"{plain[:3]}-{plain[3:7]}-{plain[7:]}"


def _open_code(data: RegistrationData) -> RegistrationCode:
    code = (
        RegistrationCode.select(RegistrationCode, Person)
        .join(Person)
        .where(
            (RegistrationCode.code == normalize_code(data.registration_number))
            & RegistrationCode.used_at.is_null()
            & (RegistrationCode.expires_at > clock.now())
        )
        .first()
    )
    if code is None or not names.same(data.last_name, code.person.last_name):
        raise InvalidRegistrationCode
    return code


def register(data: RegistrationData) -> None:
    """Open an unconfirmed account and send the confirmation mail (link and code).

    Raises InvalidRegistrationCode or Rejected (email_addresses.InvalidEmailAddress, a password the rules refuse).
    Submitting twice gives one account.
    """
    email = email_addresses.normalize(data.email)
    try:
        with db.write_transaction():
            _register(data, email)
    except IntegrityError:
        # the same form sent twice at once: the first request created the account
        with db.write_transaction():
            _register(data, email)


def _register(data: RegistrationData, email: str) -> None:
    person = _open_code(data).person
    words = password_rules.context_words(person.first_name, person.last_name, email)
    password_rules.check(data.password, words)
    cooperative = Cooperative.get_by_id(person.cooperative_id)
    if person.user_id is not None:
        holder = User.get_by_id(person.user_id)
        if holder.confirmed_at is not None:
            raise InvalidRegistrationCode
        if holder.email == email and confirmations.has_open(holder, PURPOSE):
            return  # sent twice: the account and its mail exist already
        _discard_pending(holder, person)
    existing = User.get_or_none(User.email == email)
    if existing is not None:
        mail.queue_mail(
            email,
            "Registrierungsversuch mit Ihrer E-Mail-Adresse",
            "registration_attempt_existing",
            cooperative=cooperative,
            login_url=mail.external_url("auth.login"),
            reset_url=mail.external_url("auth.forgot_password"),
        )
        return
    user = User.create(email=email, password_hash=passwords.hash_password(data.password), role=User.ROLE_TENANT)
    person.user = user
    person.save()
    erp_changes.portal_access(user, erp_changes.REGISTERED, user)
    send_confirmation(user, person, cooperative)


def _discard_pending(user: User, person: Person) -> None:
    """An unconfirmed registration gives way to a new one with the same Registrierungsnummer: the ERP, which has
    its „registriert“, learns that this access is gone („gelöscht“) before the new one's."""
    erp_changes.portal_access(user, erp_changes.DELETED, None, persons=[person])
    person.user = None
    person.save()
    if not Person.select().where(Person.user == user).exists():
        user.delete_instance(recursive=False)


def send_confirmation(user: User, person: Person, cooperative: Cooperative) -> None:
    issued = confirmations.issue(user, PURPOSE, user.email, CONFIRMATION_VALID, with_code=True)
    mail.queue_mail(
        user.email,
        "Bitte bestätigen Sie Ihre E-Mail-Adresse",
        "registration_confirm",
        cooperative=cooperative,
        name=person.full_name,
        confirm_url=mail.external_url("registration.confirm", token=issued.token),
        code=issued.code,
        valid_hours=int(CONFIRMATION_VALID.total_seconds() // 3600),
    )


def resend_confirmation(email: str) -> None:
    """A new link and code for an unconfirmed account; silently nothing for any other address."""
    with db.write_transaction():
        user = User.get_or_none((User.email == accounts.normalize_email(email)) & User.confirmed_at.is_null())
        if user is None:
            return
        person = Person.select(Person, Cooperative).join(Cooperative).where(Person.user == user).first()
        if person is None:
            return
        send_confirmation(user, person, person.cooperative)


def confirmation_is_open(token: str) -> bool:
    return confirmations.find_by_token(token, PURPOSE) is not None


def confirm_by_token(token: str) -> User:
    with db.write_transaction():
        return _confirm(confirmations.find_by_token(token, PURPOSE))


def confirm_by_code(email: str, code: str) -> User:
    with db.write_transaction():
        confirmation = confirmations.check_code(accounts.normalize_email(email), code, PURPOSE)
        if confirmation is not None:
            return _confirm(confirmation)
    raise InvalidConfirmation


def _confirm(confirmation) -> User:
    if confirmation is None or not confirmations.use(confirmation):
        raise InvalidConfirmation
    user = User.get_by_id(confirmation.user_id)
    user.confirmed_at = clock.now()
    user.save()
    person_ids = Person.select(Person.id).where(Person.user == user)
    RegistrationCode.update(used_at=clock.now()).where(
        RegistrationCode.person.in_(person_ids) & RegistrationCode.used_at.is_null()
    ).execute()
    erp_changes.portal_access(user, erp_changes.CONFIRMED, user)
    if PhoneNumber.select().where(PhoneNumber.user == user).exists():
        erp_changes.contact_data(user, user, "new")
    return user


def request_registration_number(**fields) -> RegistrationNumberRequest:
    """Stored for staff, who send the number by post to the address on file.

    Raises email_addresses.InvalidEmailAddress for an e-mail address (it is optional) that is not exactly one.
    """
    if fields.get("email"):
        fields["email"] = email_addresses.normalize(fields["email"])
    with db.write_transaction():
        return RegistrationNumberRequest.create(**fields)
