"""Dashboard pages kept once for every viewer of the same figures (issue 22, item 4).

The body of a dashboard — its figures, charts and tables — is the same for everyone who sees the
same subtree and months, in the same language, on the same day: it is drawn from the roll-ups
alone, which hold aggregates only (names of organisations and places, never of people). So it is
rendered once and kept in the cache under a key made of

- which page (`"dashboard"`, `"map"`) and what the person asked for: the organisation, the
  place, the months, the page's own choices (the dashboard's comparison `by`, the map's level
  and indicator);
- what decides what she sees: her scope's reach (the paths where she may view);
- the language and today's date (the share of reports due and the food alerts move with it);
- the **revision** of the figures under the selection: the sum and count of the
  `kitchens.FiguresRevision` rows of the roll-up cells it covers (one small query).

Every write that changes a total a dashboard reads adds one to its cell's revision *in its own
transaction* (`kitchens.summaries.touch`: the roll-ups, reporting gaps, deliveries and people fed
through `summaries._add`, the food alerts, every save of an organisation). The page reads the
revision before the figures, so a page read during a save is kept under the old revision, and
the first page after the save is drawn afresh, on every worker, with no message between them.

A domain above evidence that adds a panel or a map layer to a kept body calls `invalidate(org)`
in the transaction of each write that changes what it shows.

The map page (`views.map_body`) is kept the same way: its coverage counts the selection's active
kitchens, and every save, closing or move of an organisation moves its cells' revision. What it
draws besides — the places' need indicators and a country pack's areas — changes only when data
is loaded (`ayni load-country-pack`), and reaches the pages within a day (`PAGE_TTL`, and the
date in the key).

Only selections the roll-up answers (a federation or above) are kept: the deeper ones read a few
kitchens' summaries and are cheap already.
"""

from django.utils.translation import get_language

from ayni.accounts.scope import Can
from ayni.kitchens.kept import revision as figures_revision
from ayni.kitchens.summaries import touch
from ayni.lib.drawn import digest, kept_html

PAGE_TTL = 6 * 3600  # seconds: an unused page leaves the cache within the working day
KEY_PREFIX = "evidence:page"


def invalidate(org) -> None:
    """The figures shown for `org` (an organisation, or its path) changed: every dashboard page
    that covers it is drawn afresh from the next request on. Call it inside the transaction of
    the write, as the kitchens' services do (`kitchens.summaries.touch`)."""
    touch(org if isinstance(org, str) else org.path)


def revision(sel) -> tuple[int, int] | None:
    """The revision of the figures under the selection (one query), or None when its pages are
    not kept (a selection deeper than the roll-up)."""
    if not sel.uses_rollup:
        return None
    return figures_revision(sel.on_path())


def page_key(name: str, sel, *parts) -> str | None:
    """The cache key of one page (`name`) of the selection, or None when it is not kept."""
    rev = revision(sel)
    if rev is None:
        return None
    scope = sel.scope
    reach = sorted(scope.reach(Can.VIEW)) if not scope.is_platform_admin else ["*"]
    what = (
        get_language(),
        reach,
        sel.org.pk if sel.org else None,
        sel.place_code,
        sel.first,
        sel.last,
        sel.today,
        rev,
        parts,
    )
    return f"{KEY_PREFIX}:{name}:{digest(*what)}"


def kept(name: str, sel, draw, *parts) -> str:
    """The page `name` of the selection as `draw()` renders it (a string of HTML), from the cache
    when the same figures were drawn before."""
    key = page_key(name, sel, *parts)
    if key is None:
        return draw()
    return kept_html(key, draw, PAGE_TTL)
