"""Heavy reads on PostgreSQL's streaming replicas, everything else on the primary.

An install grows past one database server by PostgreSQL's own machinery (PRODUCT: "one machine
is enough, and PostgreSQL is there when it is not"): `AYNI_REPLICA_URLS` names one or more hot
standbys, and the pages that read a lot and write nothing — dashboards, exports, open data, the
people search, the public scorecards — are marked `@heavy_read` and read from one of them. All
the rest, every write and everything a write reads first, stays on the primary.

Three things keep that from ever showing a user something wrong or broken:
- **Read your own writes**: a person who has just saved something (any POST that succeeded)
  reads from the primary for `AYNI_READ_YOUR_WRITES_S` seconds (a cookie, `ReadYourWritesMiddleware`),
  so the dashboard she opens after her report shows her report.
- **Lag**: a replica more than `AYNI_REPLICA_MAX_LAG_S` behind, or one that is no longer a
  standby (promoted: its data may fork from the primary's), is not used; health is asked at
  most every `HEALTH_TTL` seconds per process.
- **Down**: a replica that does not answer within its connect timeout is skipped for
  `DOWN_TTL` seconds; a replica that fails in the middle of a page has the page read again on
  the primary (a GET reads only, so running it twice is safe). No error reaches the user.

The scope (who may see what) is always built on the primary before the switch: a grant just
taken away must not live on for the seconds a replica lags.
"""

import contextlib
import contextvars
import functools
import itertools
import logging
import time

from django.conf import settings
from django.db import DatabaseError, connections

log = logging.getLogger(__name__)

HEALTH_TTL = 2.0  # seconds between two health checks of one replica, per process
DOWN_TTL = 10.0  # seconds a replica that failed is left alone
WROTE_COOKIE = "ayni_escribio"
# A standby cancels a query that would hold back the replay of the primary's changes ("conflict
# with recovery"): not a fault of the page, which is read again on the primary.
RECOVERY_CONFLICT = "40001"

_reading_from: contextvars.ContextVar[str | None] = contextvars.ContextVar("ayni_replica", default=None)
_health: dict[str, tuple[float, bool]] = {}  # alias -> (checked at, usable)
_turn = itertools.count()

# On a standby: 0 when everything received is replayed (an idle primary sends nothing, and the
# last replayed transaction's age would look like lag), else the age of the last one replayed.
LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9) END
"""


class ReplicaRouter:
    """Reads go where the current page was sent (`heavy_read`), otherwise to the primary;
    writes and migrations always to the primary."""

    def db_for_read(self, model, **hints):
        return _reading_from.get()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every alias holds the same database

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


def replica_aliases() -> list[str]:
    # Every alias from AYNI_REPLICA_URLS mirrors the primary under the test runner (settings.py);
    # only then is it left out (the tests attach their own alias to the real standby). Skipping
    # mirrors always would read no replica at all in production (bench/scale.py showed it).
    return [alias for alias in connections.settings if alias.startswith("replica")
            and not (settings.TESTING and connections.settings[alias].get("TEST", {}).get("MIRROR"))]


def lag_seconds(alias: str) -> float | None:
    """How far behind the replica is; None if it is not a standby any more."""
    with connections[alias].cursor() as cursor:
        cursor.execute(LAG_SQL)
        in_recovery, lag = cursor.fetchone()
    return float(lag) if in_recovery else None


def _usable(alias: str) -> bool:
    now = time.monotonic()
    checked, usable = _health.get(alias, (0.0, True))
    if now - checked < (HEALTH_TTL if usable else DOWN_TTL):
        return usable
    try:
        lag = lag_seconds(alias)
        usable = lag is not None and lag <= settings.AYNI_REPLICA_MAX_LAG_S
        if not usable:
            log.warning("replica %s not used: %s", alias, "promoted" if lag is None else f"{lag:.1f} s behind")
    except DatabaseError as exc:
        mark_down(alias, exc)
        return False
    _health[alias] = (now, usable)
    return usable


def mark_down(alias: str, exc: Exception | None = None) -> None:
    log.warning("replica %s down: %s", alias, exc)
    _health[alias] = (time.monotonic(), False)
    try:
        connections[alias].close()
    except DatabaseError:
        pass


def healthy_replica() -> str | None:
    """A usable replica, taken in turn, or None (then the primary serves)."""
    aliases = replica_aliases()
    if not aliases:
        return None
    start = next(_turn)
    for i in range(len(aliases)):
        alias = aliases[(start + i) % len(aliases)]
        if _usable(alias):
            return alias
    return None


@contextlib.contextmanager
def primary():
    """Within a page served from a replica, read this on the primary: what decides access (a
    publication just withdrawn must not live on for the seconds a replica lags)."""
    token = _reading_from.set(None)
    try:
        yield
    finally:
        _reading_from.reset(token)


def wrote_recently(request) -> bool:
    try:
        return time.time() - float(request.COOKIES.get(WROTE_COOKIE, 0)) < settings.AYNI_READ_YOUR_WRITES_S
    except ValueError:
        return False


def heavy_read(view):
    """Serve a GET of this view from a replica when one is healthy and the person has not just
    written; the whole response is rendered there, and read again on the primary if the
    replica fails meanwhile."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or wrote_recently(request):
            return view(request, *args, **kwargs)
        alias = healthy_replica()
        if alias is None:
            return view(request, *args, **kwargs)
        scope = getattr(request, "scope", None)
        if scope is not None:
            getattr(scope, "actor", None)  # built now, on the primary
        token = _reading_from.set(alias)
        try:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()  # a TemplateResponse's queries run here, still on the replica
            return response
        except DatabaseError as exc:
            if _failed_on(alias):
                mark_down(alias, exc)
            elif getattr(exc.__cause__, "sqlstate", None) != RECOVERY_CONFLICT:
                raise  # a bug must not be hidden by a retry
        finally:
            _reading_from.reset(token)
        return view(request, *args, **kwargs)  # on the primary

    return wrapped


def _failed_on(alias: str) -> bool:
    """Whether the replica itself is what failed (its connection is gone or refuses), not the query."""
    connection = connections[alias]
    try:
        if connection.connection is None:
            return True
        return not connection.is_usable()
    except DatabaseError:
        return True


class ReadYourWritesMiddleware:
    """After a write that succeeded, her reads stay on the primary for a while."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and response.status_code < 400 and replica_aliases():
            response.set_cookie(WROTE_COOKIE, f"{time.time():.3f}", max_age=int(settings.AYNI_READ_YOUR_WRITES_S) + 1,
                                httponly=True, samesite="Lax", secure=request.is_secure())
        return response
