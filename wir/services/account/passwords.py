"""Password hashing with Argon2id."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def configure(time_cost: int, memory_cost: int, parallelism: int) -> None:
    global _hasher, _dummy
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _dummy = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


_dummy = None


# Verifying against this when no account matches costs the same time as a real
# check, so response times do not reveal which e-mail addresses exist.
def dummy_verify(password: str) -> None:
    verify_password(_dummy_hash(), password)


def _dummy_hash() -> str:
    global _dummy
    if _dummy is None:
        _dummy = hash_password("no account has this password")
    return _dummy
