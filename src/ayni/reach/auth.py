"""Who sends an OpenRosa request, at the cost of one query.

ODK Collect authenticates every request again — the form list, each form, each submission — so
what the login page can afford once (an argon2 hash, the throttle's counts, a session) would be
paid on every form sent. Two ways in, as ODK Central has them (an app user's token in the
address, or a web user's password as HTTP Basic over HTTPS):

- **A phone's key in the address** (`/odk/key/<key>/`): its SHA-256 is looked up, as the JSON
  API's `TokenAuth` does (same rules: not revoked, account active, last use written at most every
  `TOUCH_SECONDS`), in one query that also brings her role grants (her `Scope`) and the languages
  the registry says she speaks (her answers' language). Nothing is cached: a key revoked, an
  account closed or a grant withdrawn counts from the next request.
- **Her username and password** (Basic): checked by the login's backend and throttle the first
  time; then this worker remembers, for `VERIFIED_SECONDS`, that these exact credentials were
  right — under an HMAC of them with a key born with the process and never stored, so memory
  holds no password and nothing usable elsewhere — with the password hash the account had then.
  A later request with the same credentials costs the same one query as a key, and is refused
  (and checked in full again) as soon as the account's password hash is not that one (a password
  changed or reset) or the account is inactive. Wrong passwords never hit the memory: each is
  checked, counted and throttled as on the login page.
"""

import datetime
import hashlib
import hmac
import os
import time
from functools import cache

from django.contrib.auth import authenticate
from django.db import connection
from django.utils import timezone

from ayni.accounts import services as accounts
from ayni.accounts.models import RoleGrant, User
from ayni.accounts.scope import Scope
from ayni.capture.api import TOUCH_SECONDS
from ayni.capture.models import ApiToken
from ayni.capture.sms import reply_language
from ayni.lib.net import client_address
from ayni.orgs.models import Organisation
from ayni.people.models import Person
from ayni.reach.fast import ordered

VERIFIED_SECONDS = 600
_PROCESS_KEY = os.urandom(32)  # never leaves this process: the remembered digests are useless elsewhere
_verified: dict[bytes, tuple[int, str, str, float]] = {}  # digest → (user id, username, password hash, until)
_MAX_VERIFIED = 10_000

# The account's fields read with the request; the others load if ever asked for.
USER_FIELDS = ordered(User, {"id", "username", "password", "is_active", "is_superuser", "person_id", "phone"})


def _col(model, name: str) -> str:
    if name == "pk":
        return connection.ops.quote_name(model._meta.pk.column)
    return connection.ops.quote_name(model._meta.get_field(name).column)


@cache
def _sql(vendor: str, token: bool) -> str:
    """The account (active), her grants and her languages, one row per grant × language; by a
    key's hash (`token`) or by the account's id."""
    q = connection.ops.quote_name
    spoken = Person._meta.get_field("languages").remote_field.through
    columns = ", ".join(f"u.{_col(User, name)}" for name in USER_FIELDS)
    key = (f", t.{_col(ApiToken, 'pk')}, t.{_col(ApiToken, 'last_used_at')} FROM {q(ApiToken._meta.db_table)} t "
           f"JOIN {q(User._meta.db_table)} u ON u.{_col(User, 'pk')} = t.{_col(ApiToken, 'user')}")
    where = (f"t.{_col(ApiToken, 'key_hash')} = %s AND t.{_col(ApiToken, 'revoked_at')} IS NULL" if token
             else f"u.{_col(User, 'pk')} = %s")
    return (f"SELECT {columns}, g.{_col(RoleGrant, 'role')}, o.{_col(Organisation, 'path')}, "  # noqa: S608
            f"pl.{_col(spoken, 'language')}"  # names from the models, values bound
            + (key if token else f" FROM {q(User._meta.db_table)} u")
            + f" LEFT JOIN {q(RoleGrant._meta.db_table)} g ON g.{_col(RoleGrant, 'user')} = u.{_col(User, 'pk')}"
            f" LEFT JOIN {q(Organisation._meta.db_table)} o ON o.{_col(Organisation, 'pk')} = "
            f"g.{_col(RoleGrant, 'organisation')}"
            f" LEFT JOIN {q(spoken._meta.db_table)} pl ON pl.{_col(spoken, 'person')} = u.{_col(User, 'person')}"
            f" WHERE {where} AND u.{_col(User, 'is_active')} = %s")


def _account(rows) -> User | None:
    """A User (the fields above; the rest deferred) carrying her Scope and her language."""
    if not rows:
        return None
    n = len(USER_FIELDS)
    first = rows[0]
    user = User.from_db(connection.alias, list(USER_FIELDS), list(first[:n]))
    user.is_active, user.is_superuser = bool(user.is_active), bool(user.is_superuser)
    grants = list(dict.fromkeys((row[n], row[n + 1]) for row in rows if row[n] is not None))
    spoken = {row[n + 2] for row in rows if row[n + 2] is not None}
    user._reach_language = reply_language("", spoken)  # read by services.language_of
    user._reach_scope = Scope(user_id=user.pk, grants=grants, is_superuser=user.is_superuser, user=user)
    return user


def by_key(key: str) -> User | None:
    """The account of a phone's key (None when it is unknown, revoked or her account closed)."""
    with connection.cursor() as cursor:
        cursor.execute(_sql(connection.vendor, True), [ApiToken.hash(key), True])
        rows = cursor.fetchall()
    user = _account(rows)
    if user is not None:
        n = len(USER_FIELDS) + 3
        token_id, last_used = rows[0][n], rows[0][n + 1]
        last_used = ApiToken._meta.get_field("last_used_at").to_python(last_used) if last_used else None
        if last_used is not None and timezone.is_naive(last_used):  # SQLite keeps UTC without its zone
            last_used = last_used.replace(tzinfo=datetime.UTC)
        if last_used is None or time.time() - last_used.timestamp() > TOUCH_SECONDS:
            ApiToken.objects.filter(pk=token_id).update(last_used_at=timezone.now())
    return user


def by_id(user_id: int) -> User | None:
    with connection.cursor() as cursor:
        cursor.execute(_sql(connection.vendor, False), [user_id, True])
        return _account(cursor.fetchall())


def _digest(username: str, password: str) -> bytes:
    return hmac.new(_PROCESS_KEY, f"{username}\0{password}".encode(), hashlib.sha256).digest()


def by_password(request, username: str, password: str) -> User | None:
    """The account of these credentials, or None; raises ValidationError when the attempt may not
    even be checked (the login's throttle)."""
    digest = _digest(username, password)
    known = _verified.get(digest)
    if known is not None and known[3] > time.monotonic():
        user = by_id(known[0])
        if user is not None and hmac.compare_digest(user.password, known[2]):
            return user
    _verified.pop(digest, None)
    address = client_address(request)
    accounts.check_login_throttle(username, address)
    checked = authenticate(request, username=username, password=password)
    if checked is None:
        accounts.note_login_failure(username, address)
        forget(username)  # a wrong guess at her account: this worker checks her in full again
        return None
    accounts.clear_login_failures(username)
    if len(_verified) >= _MAX_VERIFIED:
        _verified.clear()
    _verified[digest] = (checked.pk, username, checked.password, time.monotonic() + VERIFIED_SECONDS)
    return by_id(checked.pk)


def forget(username: str = "") -> None:
    """Drop the remembered credentials (of one username, or all)."""
    for digest in [d for d, entry in _verified.items() if not username or entry[1] == username]:
        _verified.pop(digest, None)
