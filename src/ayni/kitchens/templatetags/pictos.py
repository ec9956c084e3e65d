from django import template

from ayni.kitchens.pictos import picto as draw

register = template.Library()


@register.simple_tag
def picto(code: str):
    """{% picto item.code %}: the food item's (or ration's) small picture, inline."""
    return draw(code)
