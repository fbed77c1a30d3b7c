"""People: creating users, logging in (rate-limited), tokens."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workspace.auth.access import administers_users
from workspace.auth.models import User
from workspace.auth.passwords import check_policy, hash_password, verify_password
from workspace.auth.sessions import end_sessions
from workspace.auth.throttle import throttle
from workspace.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from workspace.organizations.models import Organization
from workspace.zones import is_zone


def normalise_email(email: str) -> str:
    return email.strip().lower()


def authenticate(session: Session, email: str, password: str, address: str) -> User:
    email = normalise_email(email)
    throttle.check(address, email)
    user = session.scalar(select(User).where(User.email == email))
    if not verify_password(user.password_hash if user else None, password) or user is None:
        throttle.failed(address, email)
        raise Unauthorized("Wrong email or password.", code="invalid_credentials")
    if not user.active:
        raise Unauthorized("This account is disabled.", code="account_disabled")
    throttle.succeeded(address, email)
    return user


def change_password(
    session: Session,
    user: User,
    current: str,
    new: str,
    address: str,
    keep_session_id: int | None = None,
) -> User:
    """The old password proves it is the person, not someone at their
    unlocked screen; wrong guesses are throttled like logins."""
    row = session.get(User, user.id)
    assert row is not None
    throttle.check(address, row.email)
    if not verify_password(row.password_hash, current):
        throttle.failed(address, row.email)
        raise ValidationFailed(
            "The current password is wrong.",
            fields={"current_password": ["Wrong password."]},
            code="wrong_password",
        )
    throttle.succeeded(address, row.email)
    check_policy(new, "new_password")
    if new == current:
        raise ValidationFailed(
            "The new password must differ from the current one.",
            fields={"new_password": ["Same as the current password."]},
            code="same_password",
        )
    # A new hash changes the session version (`auth_v`, workspace/auth/current.py),
    # and every session of this user but the caller's (`keep_session_id`, which
    # the route re-issues) ends; once this commits, the sockets opened under
    # the old password are told and closed (realtime/guard.py).
    row.password_hash = hash_password(new)
    end_sessions(session, row.id, except_id=keep_session_id, reason="password_changed")
    return row


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: str = "member",
    organization_id: int | None = None,
    locale: str | None = None,
    actor: User | None = None,
    chosen: bool | None = None,
) -> User:
    """`locale`: the account's language. Given, it is a choice (pages use it
    in every browser); left out, pages follow each browser's language and
    mails the one of the browser the person last signed in with."""
    if actor is not None and not administers_users(actor):
        raise Forbidden("Only admins can create users.")
    check_policy(password)
    email = normalise_email(email)
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise Conflict("A user with this email exists.", fields={"email": ["Already taken."]})
    if organization_id is not None and session.get(Organization, organization_id) is None:
        raise ValidationFailed(
            "Unknown organization.", fields={"organization_id": ["No such organization."]}
        )
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        organization_id=organization_id,
        locale=locale or "zh-CN",
        locale_chosen=(locale is not None) if chosen is None else chosen,
    )
    session.add(user)
    session.flush()
    return user


def update_me(session: Session, user: User, changes: dict[str, Any]) -> User:
    if "timezone" in changes and not is_zone(changes["timezone"]):
        raise ValidationFailed(
            "Unknown time zone.", fields={"timezone": ["Use an IANA name like Asia/Shanghai."]}
        )
    row = session.get(User, user.id)
    assert row is not None
    for key in ("name", "locale", "timezone"):
        if key in changes:
            setattr(row, key, changes[key])
    if "locale" in changes:
        row.locale_chosen = True
    return row


def set_account_locale(session: Session, user: User, locale: str | None) -> User:
    """The account's language, or None: follow each browser's."""
    row = session.get(User, user.id)
    assert row is not None
    if locale is None:
        row.locale_chosen = False
    else:
        row.locale, row.locale_chosen = locale, True
    return row


def follow_browser_locale(session: Session, user: User, browser_locale: str) -> None:
    """At sign-in, someone who never chose a language gets their mails in the
    language of the browser they use (pages already follow it)."""
    if user.locale_chosen or user.locale == browser_locale:
        return
    session.execute(
        update(User)
        .where(User.id == user.id, User.locale_chosen.is_(False))
        .values(locale=browser_locale)
    )


def set_user_active(session: Session, actor: User, user_id: int, active: bool) -> User:
    """Admins disable (or re-enable) an account. Disabling ends its sessions
    and drops its open connections at once; its tokens stop working while it
    stays disabled."""
    if not administers_users(actor):
        raise Forbidden("Only admins can change users.")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("User not found.")
    if user.id == actor.id and not active:
        raise Conflict("You cannot disable your own account; ask another admin.")
    if user.active != active:
        user.active = active
        if not active:
            end_sessions(session, user.id, reason="user_disabled")
    return user


def list_users(session: Session, after_id: int, limit: int) -> list[User]:
    stmt = select(User).where(User.id > after_id).order_by(User.id).limit(limit + 1)
    return list(session.scalars(stmt))
