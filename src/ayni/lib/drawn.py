"""Figures drawn once: a chart or a map drawn from the same figures is the same SVG for every
viewer of a subtree and month, so it is kept in the cache under a digest of what it was drawn
from (its arguments, in the language of the request).

This is how the cache follows the roll-ups: a write changes the roll-up rows in its own
transaction, the next page reads the new figures from them, and new figures are a new key — a
drawing can never outlive the figures it shows, on any worker, without a message between them.
Old drawings simply age out of the cache.
"""

import dataclasses
import functools
import hashlib
import json

from django.core.cache import cache
from django.db.models import Model
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

DRAWING_TTL = 6 * 3600  # seconds: an unused drawing leaves the cache within the working day


def _plain(value):
    if isinstance(value, Model):
        return [value._meta.label, value.pk]  # a row is named by its key (a page links to it)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, Promise):
        return str(value)  # a lazy translation, in the request's language
    return str(value)  # dates, decimals


def digest(*args, **kwargs) -> str:
    """A stable digest of the arguments' values (never of their identity). Also the key of a
    cached template fragment (`{% cache … key %}`) drawn from those values."""
    text = json.dumps([args, kwargs], default=_plain, sort_keys=True, ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def kept_html(key: str, draw, ttl: int, as_kept=str):
    """What is kept under `key`, or `draw()` rendered now and kept for `ttl` seconds: the one
    get-or-draw of every drawing, page and part kept per set of figures or revision (here,
    `kitchens.kept`, `evidence.cache`, `core.panels`, the empty forms). `as_kept` turns what
    `draw()` gives into what is kept (a string of HTML; a dict of them for the home page's parts)."""
    html = cache.get(key)
    if html is None:
        html = as_kept(draw())
        cache.set(key, html, ttl)
    return html


def drawn_once(draw):
    """Keep `draw(*args, **kwargs)`'s SVG in the cache, keyed by the function and its arguments."""
    name = f"{draw.__module__}.{draw.__qualname__}"

    @functools.wraps(draw)
    def wrapper(*args, **kwargs) -> SafeString:
        key = f"drawn:{name}:{get_language()}:{digest(*args, **kwargs)}"
        svg = kept_html(key, lambda: wrapper.uncached(*args, **kwargs), DRAWING_TTL)
        return mark_safe(svg)  # noqa: S308 - the drawing functions escape every text they put in

    wrapper.uncached = draw
    return wrapper
