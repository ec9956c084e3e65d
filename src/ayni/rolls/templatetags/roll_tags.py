"""Template tags of the roll, for pages of other apps (the home page)."""

from django import template

from ayni.accounts.scope import Can
from ayni.rolls.selectors import duplicate_queue

register = template.Library()


@register.simple_tag
def open_duplicates(scope) -> int | None:
    """How many possible duplicates wait for this user's review; None when she reviews none."""
    if scope is None or not (scope.is_platform_admin or scope.reach(Can.VALIDATE)):
        return None
    return duplicate_queue(scope).count()
