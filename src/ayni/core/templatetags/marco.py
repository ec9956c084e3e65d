"""The frame of every page (`base.html`), its parts that are the same for many people kept once
per process: the main menu, for each language and set of menu entries she may see, and the
language switch, for each language. They were a dozen `{% url %}`, eight translations and the
scope's questions rendered again on every page (issue 22: the fixed CPU of every page); the
addresses and the catalogs do not change while a process lives, and what varies is the key."""

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

# (what, language, addresses, entries) → HTML: at most a few dozen (3 languages × 16 entry sets).
_KEPT: dict[tuple, str] = {}


def _kept(key: tuple, template_name: str, context: dict) -> str:
    html = _KEPT.get(key)
    if html is None:
        # rstrip: a template file's last newline is not the page's.
        html = _KEPT[key] = render_to_string(template_name, context).rstrip("\n")
    return mark_safe(html)  # noqa: S308 - rendered by our template, escaped there


def _addresses() -> tuple:
    """What the menu's addresses are reversed with (a test may route another URLconf)."""
    return (get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


def menu_entries(scope) -> tuple[bool, bool, bool, bool]:
    """Which of the menu's entries that depend on her roles she sees: the evidence, the
    protection notebook, people, accounts and changes."""
    if scope is None:
        return (False, False, False, False)
    roles = scope.roles
    return (
        bool(scope.grants or scope.is_platform_admin),
        "defender" in roles or scope.is_superuser or "platform_admin" in roles,
        bool(scope.home_role and scope.home_role != "viewer"),
        scope.is_platform_admin or "coordinator" in roles or "national_admin" in roles,
    )


@register.simple_tag(takes_context=True)
def menu(context) -> str:
    """The main menu (`<nav>`) of a signed-in person."""
    entries = menu_entries(context.get("scope"))
    evidence, protection, people, accounts = entries
    return _kept(("menu", get_language(), _addresses(), entries), "core/_menu.html", {
        "evidence": evidence, "protection": protection, "people": people, "accounts": accounts})


@register.simple_tag
def idiomas(current) -> str:
    """The buttons of the footer's language switch, the current language marked."""
    return _kept(("idiomas", get_language(), current), "core/_idiomas.html", {"LANG": current})
