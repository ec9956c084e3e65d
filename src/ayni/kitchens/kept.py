"""Parts of the kitchens' pages kept once for every viewer with the same reach (issue 22 item 3).

The home page's alert list of those who validate kitchens (out of a staple, a delivery late or
short, silent kitchens, months to validate) is the same for everyone who validates the same
subtrees, in the same language, on the same day; working it out and rendering it was most of
the coordinators' and the national board's home page (50–69 ms of CPU). It is rendered once
and kept in the cache under a key made of the reach (the paths where she holds the
capability), the language, today's date and the **revision** of the roll-up cells under that
reach (`kitchens.FiguresRevision`, the sum and count of its rows: one small query), as the
dashboards are (`evidence/cache.py`).

What the list reads, and the write that moves the revision in its own transaction:

- daily reports (silent kitchens), purchases and State food: the month's summary and roll-up
  (`summaries._add`, `_add_many`: every save of a report, single or batched, every movement
  with a value);
- stock balances of staples (out of, or low on, a staple; a book balance below zero): every
  stock movement, count or receipt refreshes the kitchen's food alert, which touches the cell
  whenever the alert comes, changes or goes (`food_alerts.refresh`); a balance that moves
  without an alert before or after is not on the list either;
- State deliveries and their receipts: the delivery roll-up (`deliveries.follow` → `_add`);
- month closes (closed, validated, returned): `month_close_changed` below, a model signal on
  `MonthClose` (the close services save the row, and nothing else writes it but the demo's
  bulk load, which rebuilds the figures after);
- the kitchens themselves (names, active or not, moved): `summaries.organisation_changed`.

Nothing personal is in a kept part: names of kitchens and foods and counts of days.

A kitchen's page keeps its store, last movements and months the same way (`kitchens.views.kitchen`,
under the kitchen's cell): every stock movement, its deletion, a count and its deletion touch the
kitchen's cell in `services.py` besides what the summary and the food alert touch, as a use of a
food with no alert and no value moves neither.
"""

from django.db.models import Q
from django.utils.translation import get_language

from ayni.accounts.scope import Can, Scope
from ayni.kitchens.models import FiguresRevision
from ayni.kitchens.summaries import ROLLUP_PATH_LENGTH, rollup_path, touch
from ayni.lib.drawn import digest, kept_html
from ayni.orgs.models import Organisation

PART_TTL = 6 * 3600  # seconds: an unused part leaves the cache within the working day
KEY_PREFIX = "kitchens:part"


def revision(on: Q, cells=FiguresRevision) -> tuple[int, int]:
    """The revision of the roll-up cells `on` selects (one query): how many cells and the sum of
    their counts — of the figures (`FiguresRevision`), or of another roll-up's cells with a
    count `n` (the equity roll-up's, `core.panels`). Added up here from the cells' counts (a few
    dozen rows, one per federation): the ORM's aggregate with its Count and Coalesce(Sum) cost
    1 ms of CPU to build, most of a kept page's own work; the rows cost a quarter of it."""
    counts = list(cells.objects.filter(on).values_list("n", flat=True))
    return len(counts), sum(counts)


def cells_under(path: str) -> Q:
    """The roll-up cells that hold the kitchens under `path`: those beneath a path above a cell,
    the cell itself of a path below one."""
    return Q(path__startswith=path) if len(path) <= ROLLUP_PATH_LENGTH else Q(path=rollup_path(path))


def kept_part(name: str, scope: Scope, can: Can, draw, *parts, under: str | None = None, above=(),
              as_kept=str):
    """The part `name` of a page as `draw()` renders it (a string of HTML) for everyone whose
    reach for `can` is the scope's, from the cache when the same figures were drawn before:
    the figures of the cells under `under` (a path), or under the whole reach when None, and of
    the cells of the paths `above` (an organisation's ancestors, whose names it shows).
    `parts` is what else the part depends on (today's date, the page's choices); `as_kept`
    turns what `draw()` gives into what is kept (`lib.drawn.kept_html`)."""
    everywhere = scope.is_platform_admin or scope.is_system
    reach = ["*"] if everywhere else sorted(scope.reach(can))
    if under is not None:
        on = cells_under(under)
    elif everywhere:
        on = Q()
    else:
        on = Q(pk__in=[])
        for path, _subtree in reach:
            on |= cells_under(path)
    if above:
        on |= Q(path__in=sorted({rollup_path(path) for path in above}))
    key = f"{KEY_PREFIX}:{name}:{digest(get_language(), can, reach, under, revision(on), parts)}"
    return kept_html(key, draw, PART_TTL, as_kept)


def month_close_changed(sender, instance, **kwargs) -> None:
    """A month was closed, validated or returned (or its close deleted): the alert lists and the
    kitchens' summaries that show it are drawn afresh, in the saving transaction."""
    if sender.kitchen.is_cached(instance):
        path = instance.kitchen.path  # the close services hold the kitchen: no query
    else:
        path = Organisation.objects.filter(pk=instance.kitchen_id).values_list("path", flat=True).first()
    if path:
        touch(path)
