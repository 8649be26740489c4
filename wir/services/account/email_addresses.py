"""E-mail addresses: exactly one mailbox per field, checked by email-validator, stored in one form.

The stored form is the ASCII one, in lower case: an internationalized domain
(name@bücher.de) is kept as its IDNA spelling (name@xn--bcher-kva.de), so every
SMTP server can deliver to it, and any spelling of it finds the same account.
Umlauts before the @ would need SMTPUTF8, which not every server offers: refused.
Only the syntax is checked; the confirmation mail proves that the mailbox exists
(no DNS look-ups, in production neither).
"""

from email_validator import EmailNotValidError, validate_email

from wir.services.rejections import Rejected

MAX_LENGTH = 254  # RFC 5321 path limit
LOCAL_MAX_LENGTH = 64

INVALID = "Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@beispiel.de."
ONE_ONLY = "Bitte geben Sie nur eine E-Mail-Adresse ein."
TOO_LONG = f"Die E-Mail-Adresse darf höchstens {MAX_LENGTH} Zeichen lang sein."
LOCAL_TOO_LONG = f"Der Teil vor dem @ darf höchstens {LOCAL_MAX_LENGTH} Zeichen lang sein."
LOCAL_NOT_ASCII = "Vor dem @ sind nur Buchstaben ohne Umlaute, Ziffern und . _ - + möglich."


class InvalidEmailAddress(Rejected):
    """Not exactly one address that mail can go to; the message says why, next to the field "email"."""

    def __init__(self, message: str):
        super().__init__("email", message)


def normalize(text: str) -> str:
    """The address to store and send to; raises InvalidEmailAddress."""
    address = text.strip()
    if any(separator in address for separator in ",;") or address.count("@") > 1:
        raise InvalidEmailAddress(ONE_ONLY)
    if len(address) > MAX_LENGTH:
        raise InvalidEmailAddress(TOO_LONG)
    local = address.rpartition("@")[0]
    if not local.isascii():
        raise InvalidEmailAddress(LOCAL_NOT_ASCII)
    if len(local) > LOCAL_MAX_LENGTH:
        raise InvalidEmailAddress(LOCAL_TOO_LONG)
    try:
        checked = validate_email(
            address,
            check_deliverability=False,  # no DNS: the confirmation mail is the real test
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            strict=True,  # the stricter checks of RFC 5321 as well
        )
    except EmailNotValidError:  # its English reasons would not help; a domain label too long is rare
        raise InvalidEmailAddress(INVALID) from None
    return checked.ascii_email.lower()


def normalize_leniently(text: str) -> str:
    """normalize(), or the text without surrounding spaces where it is no valid address (look-ups, sign-in)."""
    try:
        return normalize(text)
    except InvalidEmailAddress:
        return text.strip()
