"""Zugänge: the accounts of a cooperative's staff, kept by the admins.

An admin creates an account (name, e-mail address, role, for Sachbearbeitung its cooperative); the colleague gets a
single-use set-up link by mail (services.account.accounts: the password reset's tokens, purpose SETUP_PURPOSE, valid
SETUP_VALID), sets a password there and at the first sign-in enrols the second factor like every staff member
(wir.security holds a session until then). Admins are of no cooperative (both), clerks of one.

Deactivating ends every session at once (the session version) and refuses sign-in; the row stays, so every history
keeps the name. Role and cooperative take effect with the colleague's next request. Every change is audited and based
on the version the admin saw (services.versions), so two admins do not overwrite each other unseen.

At least one admin who can sign in always remains: of the last one neither deactivating nor a change to
Sachbearbeitung is accepted. As only admins act, that is the acting admin themself; any admin may deactivate or
demote another one.
"""

from dataclasses import dataclass

from peewee import JOIN, IntegrityError

from wir import audit, db, mail
from wir.models import Cooperative, User
from wir.services import text, versions
from wir.services.account import accounts, confirmations, email_addresses
from wir.services.rejections import Rejected

ROLES = {User.ROLE_STAFF: "Sachbearbeitung", User.ROLE_ADMIN: "Administration"}
NAME_MAX = 100
# no password hash at all (argon2 refuses to verify it): nobody signs in before the set-up link gave a password
NO_PASSWORD = "!"

TAKEN = "Zu dieser E-Mail-Adresse gibt es schon einen Zugang."
NO_ROLE = "Bitte wählen Sie eine Rolle aus der Liste."
NO_COOPERATIVE = "Bitte wählen Sie die Genossenschaft, für die die Sachbearbeitung arbeitet."
LAST_ADMIN = ("Sie sind die einzige Administration, die sich anmelden kann. Legen Sie zuerst einen weiteren Zugang "
              "mit der Rolle Administration an; erst dann können Sie Ihre eigene Rolle ändern oder Ihren Zugang "
              "deaktivieren.")
CHANGES = ("staff_account.created", "staff_account.changed", "staff_account.deactivated",
           "staff_account.reactivated")


@dataclass(frozen=True)
class Draft:
    """What the form sent: the cooperative as its id in text ("" for none)."""

    name: str
    email: str
    role: str
    cooperative: str = ""


@dataclass(frozen=True)
class Role:
    role: str
    cooperative: Cooperative | None


def role_label(user: User) -> str:
    return ROLES.get(user.role, user.role)


# --- reading ---


def accounts_of(admin: User) -> list[User]:
    """Every staff and admin account the admin looks after (of the admin's cooperative, or all), active ones first,
    with their cooperatives: one query however many."""
    return list(_staff_of(admin).order_by(User.is_active.desc(), Cooperative.name, User.staff_name, User.email))


def account_of(admin: User, user_id: int) -> User | None:
    return _staff_of(admin).where(User.id == user_id).first()


def _staff_of(admin: User):
    query = (User.select(User, Cooperative).join(Cooperative, JOIN.LEFT_OUTER)
             .where(User.role.in_(list(ROLES))))
    if admin.cooperative_id:
        query = query.where(User.cooperative == admin.cooperative_id)
    return query


def is_set_up(user: User) -> bool:
    """The colleague has set a password with the set-up link (the address is proven)."""
    return user.confirmed_at is not None


def cooperative_choices(admin: User) -> list[Cooperative]:
    """The cooperatives a clerk of the admin may belong to."""
    query = Cooperative.select().order_by(Cooperative.name)
    return list(query.where(Cooperative.id == admin.cooperative_id) if admin.cooperative_id else query)


# --- checking ---


def _role(admin: User, role: str, cooperative: str) -> Role:
    """The role and cooperative as they will be kept; raises Rejected('role' | 'cooperative').

    Administration is of both cooperatives (a chosen one is ignored), and only an admin of both gives it.
    """
    if role not in ROLES or (role == User.ROLE_ADMIN and admin.cooperative_id):
        raise Rejected("role", NO_ROLE)
    if role == User.ROLE_ADMIN:
        return Role(role, None)
    chosen = next((c for c in cooperative_choices(admin) if str(c.id) == (cooperative or "").strip()), None)
    if chosen is None:
        raise Rejected("cooperative", NO_COOPERATIVE)
    return Role(role, chosen)


def _name(name: str) -> str:
    return " ".join(text.check("name", name, "Bitte geben Sie den Namen ein.", NAME_MAX).split())


def _email(email: str) -> str:
    address = email_addresses.normalize(email or "") if (email or "").strip() else ""
    if not address:
        raise Rejected("email", "Bitte geben Sie die E-Mail-Adresse ein.")
    if User.select().where(User.email == address).exists():
        raise Rejected("email", TAKEN)
    return address


# --- writing: one transaction, audited ---


def _describe(user: User, cooperative: Cooperative | None) -> str:
    where = f", {cooperative.name}" if cooperative else ", beide Genossenschaften"
    return f"{user.staff_name} <{user.email}>: {ROLES[user.role]}{where}"


def create(admin: User, draft: Draft) -> User:
    """Create the account and mail the set-up link; raises Rejected('name' | 'email' | 'role' | 'cooperative')."""
    name, address, role = _name(draft.name), _email(draft.email), _role(admin, draft.role, draft.cooperative)
    try:
        with db.write_transaction():
            user = User.create(email=address, password_hash=NO_PASSWORD, role=role.role, cooperative=role.cooperative,
                               staff_name=name)
            audit.record(admin, "staff_account.created", user, _describe(user, role.cooperative), role.cooperative)
            _send_setup_link(user)
    except IntegrityError:  # the same address created at the same moment
        raise Rejected("email", TAKEN) from None
    return user


def resend_setup_link(admin: User, user: User) -> bool:
    """A new set-up link (the earlier one ends) for an active colleague who has not set up the account yet;
    False when there is none to send."""
    with db.write_transaction():
        fresh = User.get_by_id(user.id)
        if is_set_up(fresh) or not fresh.is_active:
            return False
        audit.record(admin, "staff_account.setup_link_sent", fresh, fresh.email, fresh.cooperative_id)
        _send_setup_link(fresh)
    return True


def _send_setup_link(user: User) -> None:
    issued = confirmations.issue(user, accounts.SETUP_PURPOSE, user.email, accounts.SETUP_VALID)
    accounts.mail_to_user(user, "Ihr Zugang zum WIR-immerda-Serviceportal", "staff_setup",
                          setup_url=mail.external_url("auth.set_up", token=issued.token),
                          valid_days=accounts.SETUP_VALID.days, role=ROLES[user.role])


def _claim(user: User, seen: int) -> int:
    return versions.claim(User, user.id, seen, "Dieser Zugang", user, CHANGES)


def _keep_an_admin(user: User, field: str) -> None:
    """Refuse (Rejected(field)) to take the admin role from ``user`` when no other admin who can sign in remains."""
    if user.role != User.ROLE_ADMIN or not user.is_active:
        return
    others = User.select(User.id).where((User.role == User.ROLE_ADMIN) & User.is_active & (User.id != user.id)
                                        & User.confirmed_at.is_null(False))
    if not db.is_sqlite():  # two admins demoting each other at once: the second waits and sees the first's change
        User.select(User.id).where(User.role == User.ROLE_ADMIN).for_update().execute()
    if not others.exists():
        raise Rejected(field, LAST_ADMIN)


def change_role(admin: User, user: User, role: str, cooperative: str, seen: int) -> User:
    """Give the colleague another role or (a clerk) another cooperative, effective with their next request; raises
    Rejected('role' | 'cooperative'), versions.Conflict."""
    chosen = _role(admin, role, cooperative)
    with db.write_transaction():
        fresh = User.get_by_id(user.id)
        if chosen.role != User.ROLE_ADMIN:
            _keep_an_admin(fresh, "role")
        _claim(user, seen)
        User.update(role=chosen.role, cooperative=chosen.cooperative).where(User.id == user.id).execute()
        fresh.role, fresh.cooperative = chosen.role, chosen.cooperative
        audit.record(admin, "staff_account.changed", fresh, _describe(fresh, chosen.cooperative), chosen.cooperative)
    return User.get_by_id(user.id)


def deactivate(admin: User, user: User, seen: int) -> None:
    """Refuse sign-in and end every session at once; raises Rejected('account') for the last admin,
    versions.Conflict."""
    with db.write_transaction():
        _keep_an_admin(User.get_by_id(user.id), "account")
        _claim(user, seen)
        User.update(is_active=False, session_version=User.session_version + 1).where(User.id == user.id).execute()
        audit.record(admin, "staff_account.deactivated", user, user.email, user.cooperative_id)


def reactivate(admin: User, user: User, seen: int) -> None:
    """The colleague may sign in again (with the password and second factor they had); raises versions.Conflict."""
    with db.write_transaction():
        _claim(user, seen)
        User.update(is_active=True).where(User.id == user.id).execute()
        audit.record(admin, "staff_account.reactivated", user, user.email, user.cooperative_id)
