"""Password hashing with Argon2id (argon2-cffi's RFC 9106 low-memory profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from workspace import cooperative
from workspace.errors import ValidationFailed

# One policy for every way a password is set: users made by admins, the first
# admin from the command line, and a person changing their own.
PASSWORD_MIN, PASSWORD_MAX = 8, 256

_hasher = PasswordHasher()
# Spent on unknown emails too, so response time does not reveal who has an account.
_DUMMY_HASH = _hasher.hash("jointlab-timing-equaliser")


# Argon2 is 64 MiB and 3 passes of C per call (it releases the GIL): under
# gevent it runs on a native thread (cooperative.offload), so a login does not
# stall every other connection of the process.
def hash_password(password: str) -> str:
    return cooperative.offload(_hasher.hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        verified = cooperative.offload(_hasher.verify, password_hash or _DUMMY_HASH, password)
        return verified and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def check_policy(password: str, field: str = "password") -> None:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationFailed(
            f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters for a password.",
            fields={field: [f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters."]},
            code="weak_password",
        )
