"""Verträge: the persons' contracts with their parties and bank accounts, always through the persons (scope)."""

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby

from peewee import JOIN

from wir.models import (
    BankAccount,
    ContactPerson,
    Contract,
    ContractParty,
    Cooperative,
    Person,
    Unit,
)
from wir.services import scope
from wir.services.staff import absences

KIND_ORDER = ("rental", "parking", "membership")


@dataclass
class ContractDetails:
    """One contract as the tenant sees it. ``accounts`` holds its bank accounts except replaced ones, newest first."""

    contract: Contract
    parties: list[ContractParty] = field(default_factory=list)
    accounts: list[BankAccount] = field(default_factory=list)
    stand_in: absences.StandIn | None = None  # the Ansprechpartner is away: who stands in

    @property
    def id(self) -> int:
        return self.contract.id

    @property
    def cooperative(self) -> Cooperative:
        return self.contract.cooperative

    @property
    def kind_label(self) -> str:
        return Contract.KINDS[self.contract.kind]

    @property
    def title(self) -> str:
        return f"{self.kind_label} {self.contract.number}"

    @property
    def monthly_total(self) -> Decimal | None:
        parts = [self.contract.base_rent, self.contract.operating_costs, self.contract.heating_costs]
        present = [part for part in parts if part is not None]
        return sum(present, Decimal("0.00")) if present else None

    @property
    def total_shares(self) -> int:
        return (self.contract.mandatory_shares or 0) + (self.contract.voluntary_shares or 0)

    @property
    def subscribed_amount(self) -> Decimal | None:
        """Gezeichnetes Geschäftsguthaben: shares × amount per share."""
        amount = self.contract.share_amount
        return amount * self.total_shares if amount is not None else None

    @property
    def open_amount(self) -> Decimal:
        """What is still to be paid in on the shares (never negative)."""
        subscribed, paid = self.subscribed_amount, self.contract.paid_in
        if subscribed is None or paid is None:
            return Decimal("0.00")
        return max(subscribed - paid, Decimal("0.00"))

    @property
    def member(self) -> Person | None:
        """The member of a membership (Mitgliedsnummer is the person's number)."""
        return next((party.person for party in self.parties if party.role == "member"), None)

    def _newest(self, status: str) -> BankAccount | None:
        return next((account for account in self.accounts if account.status == status), None)

    @property
    def current_account(self) -> BankAccount | None:
        """The account collected from today (bank_accounts.in_force): a confirmed one for a later day waits."""
        from wir.services.contracts import bank_accounts  # (bank_accounts imports this module)

        return bank_accounts.in_force(self.accounts)

    @property
    def current_until(self):
        """The last day of the current account while a confirmed successor waits for its day; else None."""
        from wir.services.contracts import bank_accounts

        current = self.current_account
        return bank_accounts.until_of(self.accounts, current) if current else None

    @property
    def upcoming_accounts(self) -> list:
        """The confirmed accounts that take effect on a later day (bank_accounts.Term: account, start, until)."""
        from wir.services.contracts import bank_accounts

        return bank_accounts.upcoming(self.accounts)

    @property
    def pending_account(self) -> BankAccount | None:
        return self._newest("pending")

    @property
    def rejected_account(self) -> BankAccount | None:
        """The last refusal, while nothing newer has been filed or confirmed since."""
        newest = self.accounts[0] if self.accounts else None
        return newest if newest is not None and newest.status == "rejected" else None


def _sort_key(details: ContractDetails):
    return (details.cooperative.name, KIND_ORDER.index(details.contract.kind), details.contract.number)


def _load(persons, contract_id: int | None = None) -> list[ContractDetails]:
    """Four queries whatever the number of contracts, parties and accounts (three when no Ansprechpartner has a
    login: then nobody can be away)."""
    query = (
        Contract.select(Contract, Cooperative, Unit, ContactPerson)
        .join(Cooperative)
        .switch(Contract)
        .join(Unit, JOIN.LEFT_OUTER)
        .switch(Contract)
        .join(ContactPerson, JOIN.LEFT_OUTER)
        .where(Contract.id.in_(scope.contract_ids(persons)))
    )
    if contract_id is not None:
        query = query.where(Contract.id == contract_id)
    by_id = {contract.id: ContractDetails(contract) for contract in query}
    if not by_id:
        return []
    parties = (
        ContractParty.select(ContractParty, Person)
        .join(Person)
        .where(ContractParty.contract.in_(list(by_id)))
        .order_by(ContractParty.id)
    )
    for party in parties:
        by_id[party.contract_id].parties.append(party)
    accounts = (
        BankAccount.select()
        .where(BankAccount.contract.in_(list(by_id)) & (BankAccount.status != "replaced"))
        .order_by(BankAccount.created_at.desc(), BankAccount.id.desc())
    )
    for account in accounts:
        by_id[account.contract_id].accounts.append(account)
    stand_ins = absences.stand_ins([details.contract.contact_person for details in by_id.values()])
    for details in by_id.values():
        details.stand_in = stand_ins.get(details.contract.contact_person_id)
    return sorted(by_id.values(), key=_sort_key)


def all_details(persons) -> list[ContractDetails]:
    """All contracts in which one of the persons is a party, ordered by cooperative, kind and number."""
    return _load(persons)


def details_of(persons, contract_id: int) -> ContractDetails | None:
    """The persons' contract with this id; None for anybody else's (the caller answers 404)."""
    found = _load(persons, contract_id)
    return found[0] if found else None


def with_siblings(persons, contract_id: int) -> tuple[ContractDetails, list[ContractDetails]] | None:
    """The persons' contract and their other contracts at the same cooperative; None if it is not theirs."""
    everything = all_details(persons)
    target = next((details for details in everything if details.id == contract_id), None)
    if target is None:
        return None
    siblings = [d for d in everything if d.cooperative.id == target.cooperative.id and d.id != contract_id]
    return target, siblings


def by_cooperative(details: list[ContractDetails]) -> list[tuple[Cooperative, list[ContractDetails]]]:
    """Grouped for the Verträge page; ``details`` comes sorted by cooperative from all_details."""
    groups = []
    for _, items in groupby(details, key=lambda d: d.cooperative.id):
        contracts = list(items)
        groups.append((contracts[0].cooperative, contracts))
    return groups
