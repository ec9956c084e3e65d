from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def exit_url() -> str:
    """Where quick exit lands: a page that says nothing of protection."""
    return settings.PROTECTION_EXIT_URL or "/"
