"""Small pictures for the rows a leader looks for — each food item of the catalogue and each
kind of ration — so that someone who reads slowly still finds her row (issue 20, item 6).
Inline SVG, one short path each, drawn in the text's colour, hidden from screen readers (the
label beside it says the same in words). A code without a picture of its own gets the sack."""

from django.utils.html import format_html
from django.utils.safestring import SafeString

PATHS = {
    # The food catalogue (kitchens.models.FoodItem codes)
    "arroz": "M3 12h18a9 9 0 0 1-18 0zM8 9l1-2M12 8V5M16 9l-1-2",
    "azucar": "M4 8l8-4 8 4v8l-8 4-8-4zM4 8l8 4 8-4M12 12v8",
    "menestras": "M8 13c-3 0-4-3-2-5s6-1 5 2-1 3-3 3zM16 20c-3 0-4-3-2-5s6-1 5 2-1 3-3 3z",
    "conserva-pescado": "M2 12c4-6 12-6 16 0-4 6-12 6-16 0zM18 12l4-3v6zM7 11h.01",
    "aceite": "M10 2h4v4l2 3v13H8V9l2-3zM8 13h8",
    "avena": "M12 22V8m0 0c-2-1-3-3-3-5 2 1 3 3 3 5zm0 0c2-1 3-3 3-5-2 1-3 3-3 5zm0 6c-2-1-4-1-5-3 2 0 4 1 5 3zm0 "
             "0c2-1 4-1 5-3-2 0-4 1-5 3z",
    "fideos": "M3 7c3-2 6 2 9 0s6-2 9 0M3 12c3-2 6 2 9 0s6-2 9 0M3 17c3-2 6 2 9 0s6-2 9 0",
    "papa": "M6 8c3-5 13-4 14 2s-5 11-11 9-6-7-3-11zM10 10h.01M14 14h.01",
    "pollo": "M14 3a6 6 0 0 1 4 10l-4 1-3 3a2 2 0 1 1-3 3 2 2 0 1 1-3-3l3-3 1-4a6 6 0 0 1 5-7z",
    "huevos": "M12 3c4 0 7 6 7 11a7 7 0 0 1-14 0c0-5 3-11 7-11z",
    "verduras": "M13 11L3 21M13 11c2-2 5-2 6 0s-1 4-3 5l-3 1-1-3zM17 7l3-3M15 6l1-4",
    "gas": "M8 6h8a2 2 0 0 1 2 2v12H6V8a2 2 0 0 1 2-2zM10 3h4v3h-4zM6 12h12",
    "_": "M7 4h10l-2 3 3 5v8H6v-8l3-5zM9 7h6",  # any other food: a sack
    # The day's rations (kitchens.forms.DailyReportForm fields)
    "rations_prepared": "M3 10h18M5 10v8a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-8M9 7c0-2 2-2 2-4M13 7c0-2 2-2 2-4",
    "served_paying": "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM12 6v12M15 9c0-1-1-2-3-2s-3 1-3 2 1 2 3 2 3 1 3 2-1 "
                     "2-3 2-3-1-3-2",
    "served_subsidised": "M3 21h18M5 21V10M19 21V10M9 21v-7M15 21v-7M2 10l10-6 10 6z",
    "served_free": "M12 21l-8-8a5 5 0 0 1 8-6 5 5 0 0 1 8 6z",
}


def picto(code: str) -> SafeString:
    """The picture for a food item's code or a ration field's name."""
    return format_html('<svg class="picto" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" '
                       'focusable="false"><path d="{}"/></svg>', PATHS.get(code, PATHS["_"]))
