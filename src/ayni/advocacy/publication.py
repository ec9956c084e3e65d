"""The public scorecard, drawn once per edition. Every visitor of a public page (the country, an
authority, a municipality, a federation; one page of 20) gets the same content, so it is kept in
Django's cache, and a return visit is answered 304 from its ETag.

How a kept page goes stale: every service that changes what a public page shows calls `bump()`
inside its own transaction, which gives the one `PublicEdition` row a new random token. A page
is kept under the token it was drawn from (with the page, the language and the day, since the
days overdue count up at midnight), so after a change no kept page is ever found again — on any
worker, with a per-process cache or a shared one — and old pages simply age out. The token lives
in the database, not in the cache: a version key in a per-process cache would be bumped in one
worker only. A page also ages out after `TTL` seconds, which bounds how long it may lag what is
not ours to bump (a delivery received in a kitchen, an organisation renamed).

Only the content is kept: the shell around it (the menu of someone signed in, the language
form and its CSRF token) is drawn per request, so nothing of one visitor reaches another.
"""

import hashlib
import uuid

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from ayni.advocacy.models import PublicEdition

TTL = 10 * 60  # seconds
PK = 1


def bump() -> None:
    """A change the public pages show: every kept page is stale from the commit on."""
    values = {"token": uuid.uuid4().hex, "changed_at": timezone.now()}
    if not PublicEdition.objects.filter(pk=PK).update(**values):
        try:
            with transaction.atomic():
                PublicEdition.objects.create(pk=PK, **values)
        except IntegrityError:  # another writer made the row first: replace its token
            PublicEdition.objects.filter(pk=PK).update(**values)


def edition() -> str:
    """The current token (one query); the row is made, with a random token, on first use."""
    token = PublicEdition.objects.filter(pk=PK).values_list("token", flat=True).first()
    if token is None:
        token = uuid.uuid4().hex
        try:
            with transaction.atomic():
                PublicEdition.objects.create(pk=PK, token=token, changed_at=timezone.now())
        except IntegrityError:
            token = PublicEdition.objects.values_list("token", flat=True).get(pk=PK)
    return token


def page_key(token: str, kind: str, key: str, number: int, language: str, today) -> str:
    raw = f"{token}|{kind}|{key}|{number}|{language}|{today.isoformat()}"
    return "advocacy:public:" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def kept(cache_key: str, draw) -> dict:
    """The kept page under `cache_key`, or `draw()`'s (a dict with at least `body`), kept with
    its ETag (a digest of the body) and the time it was drawn."""
    page = cache.get(cache_key)
    if page is None:
        page = draw()
        page["etag"] = hashlib.blake2b(page["body"].encode(), digest_size=12).hexdigest()
        page["drawn_at"] = timezone.now().replace(microsecond=0)
        cache.set(cache_key, page, TTL)
    return page
