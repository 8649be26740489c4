"""Telefonnummern: up to three per user, stored in E.164, shown the way people write them."""

import re

import phonenumbers

from wir import audit, db, formatting
from wir.models import PhoneNumber, User
from wir.services import scope
from wir.services.erp_export import changes as erp_changes
from wir.services.rejections import Rejected

MAX_PHONES = 3
NUMBER_MAX = 40
KINDS = PhoneNumber.KINDS
# FIXED_LINE_OR_MOBILE: where the number does not tell (USA, Canada), most people give their mobile one
_MOBILE = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)

LIMIT_REACHED = (
    "Sie können höchstens drei Telefonnummern hinterlegen. Bitte ändern oder löschen Sie eine der vorhandenen."
)
INVALID = "Bitte geben Sie eine gültige Telefonnummer ein, z. B. 0341 1234567 oder +48 22 1234567."


def normalize(text: str) -> str:
    """The number in E.164 (+493414928713), or Rejected('number') with the reason in German."""
    value = (text or "").strip()
    if not value:
        raise Rejected("number", "Bitte geben Sie eine Telefonnummer ein.")
    if len(value) > NUMBER_MAX:
        raise Rejected("number", f"Die Telefonnummer darf höchstens {NUMBER_MAX} Zeichen lang sein.")
    # phonenumbers reads letters as keypad digits (0800-FLOWERS); a typo must not turn into a number
    if not re.fullmatch(r"[0-9+()/.\- ]+", value):
        raise Rejected("number", "Eine Telefonnummer besteht aus Ziffern; "
                                 "erlaubt sind außerdem + ( ) / - und Leerzeichen.")
    try:
        parsed = phonenumbers.parse(value, formatting.PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise Rejected("number", INVALID) from None
    if not phonenumbers.is_valid_number(parsed):
        raise Rejected("number", INVALID)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def kind_for(kind: str, number: str) -> str:
    """The kind chosen, or with none ("") the one phonenumbers sees in the number (E.164): Mobil for a mobile
    number, otherwise Privat (a landline such as 0341 …)."""
    if not kind:
        number_type = phonenumbers.number_type(phonenumbers.parse(number))
        return "mobile" if number_type in _MOBILE else "home"
    if kind not in KINDS:
        raise Rejected("kind", "Bitte wählen Sie eine Art aus der Liste.")
    return kind


def _lock(user: User) -> list[PhoneNumber]:
    """The user's numbers, read so that a parallel request cannot add one in between.

    SQLite's write transaction (BEGIN IMMEDIATE) already serializes; PostgreSQL needs the row lock.
    """
    if not db.is_sqlite():
        User.select(User.id).where(User.id == user.id).for_update().execute()
    return scope.phones_of(user)


def _refuse_duplicate(existing: list[PhoneNumber], number: str, except_id: int | None = None) -> None:
    if any(phone.number == number and phone.id != except_id for phone in existing):
        raise Rejected("number", "Diese Telefonnummer ist bereits hinterlegt.")


def _audit_detail(phone: PhoneNumber) -> str:
    return f"{KINDS[phone.kind]}, endet auf {phone.number[-3:]}"


def add(user: User, kind: str, number: str) -> PhoneNumber:
    """A new number at the end; the fourth is refused whatever the request looks like. ``kind`` "": the number's."""
    number = normalize(number)
    kind = kind_for(kind, number)
    with db.write_transaction():
        existing = _lock(user)
        if len(existing) >= MAX_PHONES:
            raise Rejected("number", LIMIT_REACHED)
        _refuse_duplicate(existing, number)
        position = max((phone.position for phone in existing), default=-1) + 1
        phone = PhoneNumber.create(user=user, kind=kind, number=number, position=position)
        audit.record(user, "phone.added", phone, _audit_detail(phone))
        erp_changes.contact_data(user, user)
    return phone


def change(user: User, phone_id: int, kind: str, number: str) -> PhoneNumber | None:
    """Update one of the user's numbers; None if it is not (or no longer) theirs. ``kind`` "": the number's."""
    number = normalize(number)
    kind = kind_for(kind, number)
    with db.write_transaction():
        existing = _lock(user)
        phone = next((p for p in existing if p.id == phone_id), None)
        if phone is None:
            return None
        _refuse_duplicate(existing, number, except_id=phone.id)
        if (phone.kind, phone.number) == (kind, number):
            return phone  # saved as it was: nothing for the audit log or the ERP
        phone.kind, phone.number = kind, number
        phone.save()
        audit.record(user, "phone.changed", phone, _audit_detail(phone))
        erp_changes.contact_data(user, user)
    return phone


def remove(user: User, phone_id: int) -> bool:
    """Delete one of the user's numbers; False if it is not (or no longer) theirs."""
    with db.write_transaction():
        phone = scope.phone_of(user, phone_id)
        if phone is None:
            return False
        audit.record(user, "phone.removed", phone, _audit_detail(phone))
        phone.delete_instance()
        erp_changes.contact_data(user, user)
    return True
