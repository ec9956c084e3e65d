"""The home page's parts about organisations and boards, kept once for everyone with the same
reach (issue 22 item 3).

What a coordinator or the national board sees of the organisations under her (how many of each
kind, active or not), of their boards (terms ending within 60 days, active organisations without
a board) and of succession (who is trained to take over each board ending within six months)
was most of their home page: six queries and the longest lists of the page, the same for
everyone who sees the same subtrees, in the same language, on the same day. They are rendered
once and kept in the cache under a key made of the reach (the paths where she sees the
organisations, and where she sees names), the language, today's date and the **revision** of the
equity roll-up's cells under that reach (`leadership.EquityCell`, their count and the sum of
their revisions: one small query).

Every write the parts read moves that revision in its own transaction:

- organisations saved, moved or deleted; memberships begun or ended; trainings completed; a
  woman's record saved: the equity roll-up's own signals (`leadership/apps.py`), and its bulk
  loads' `invalidate_under`;
- board positions assigned, ended or deleted: `position_changed` below (a model signal on
  `Position`, wired in `core/apps.py`), as they change no equity figure themselves;
- an organisation registered: `organisation_created` below moves its parent's cell (its first
  save has a placeholder path, which the equity roll-up leaves alone: it has no socias yet);
- a training completed or undone by the attendance's recount (`completed_on` saved without the
  status, which the equity roll-up does not follow: enrolled is trained there):
  `enrolment_completed` below.

Names are in a kept part only when it is kept for those who see names there: the reach of
`VIEW_PERSONAL` is in its key (a viewer's key has none, and her part has no board).
"""

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from ayni.accounts.scope import Can, Scope
from ayni.kitchens import kept
from ayni.leadership import equity
from ayni.leadership.models import EquityCell
from ayni.lib.drawn import digest, kept_html

PART_TTL = 6 * 3600  # seconds: an unused part leaves the cache within the working day
KEY_PREFIX = "core:home"


def _reach(scope: Scope, can: Can) -> list:
    if scope.is_platform_admin or scope.is_system:
        return ["*"]
    return sorted(scope.reach(can))


def revision(scope: Scope) -> tuple[int, int]:
    """The revision of the equity cells that hold the organisations the scope sees (one query)."""
    if scope.is_platform_admin or scope.is_system:
        on = Q()
    else:
        on = Q(pk__in=[])
        for path, subtree in scope.reach(Can.VIEW):
            if subtree and len(path) <= equity.CELL_LENGTH:
                on |= Q(path__startswith=path)
            else:
                on |= Q(path=equity.cell_of(path))
    return kept.revision(on, EquityCell)


def kept_parts(scope: Scope, today, draw, *, personal: bool) -> dict[str, SafeString]:
    """The parts `draw()` renders (a dict of name → HTML), from the cache when the same reach saw
    the same revision today. `personal`: the parts show names (the scope sees names somewhere)."""
    key = digest(get_language(), _reach(scope, Can.VIEW), _reach(scope, Can.VIEW_PERSONAL) if personal else None,
                 today, revision(scope))
    parts = kept_html(f"{KEY_PREFIX}:{key}", draw, PART_TTL,
                           as_kept=lambda drawn: {name: str(html) for name, html in drawn.items()})
    return {name: mark_safe(html) for name, html in parts.items()}  # noqa: S308 - rendered by our templates


def render_parts(context: dict) -> dict[str, str]:
    """The home page's kept parts, rendered from their context: `roots_html`, and `boards_html`
    when `terms_ending` is in it."""
    parts = {"roots_html": render_to_string("core/_home_roots.html", context)}
    if "terms_ending" in context:
        parts["boards_html"] = render_to_string("core/_home_boards.html", context)
    return parts


def position_changed(sender, instance, **kwargs) -> None:
    """A board position was assigned, ended, changed or deleted: the home pages that show its
    organisation's board are drawn afresh (in the saving transaction)."""
    if sender.organisation.is_cached(instance):
        path = instance.organisation.path
    else:
        from ayni.orgs.models import Organisation

        path = Organisation.objects.filter(pk=instance.organisation_id).values_list("path", flat=True).first()
    if path:
        equity.invalidate(path)


def organisation_created(sender, instance, created=False, **kwargs) -> None:
    """A new organisation counts in the figures of the organisations above it at once."""
    if not created or instance.parent_id is None:
        return
    if sender.parent.is_cached(instance) and instance.parent is not None:
        path = instance.parent.path
    else:
        path = sender.objects.filter(pk=instance.parent_id).values_list("path", flat=True).first()
    if path:
        equity.invalidate(path)


def enrolment_completed(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    """Her training's completion changed: the succession lists of her organisations follow."""
    if not created and update_fields is not None and "completed_on" in update_fields:
        equity.invalidate_people([instance.person_id])
