"""Indicators that domains above evidence show on its dashboard, its map and its PDF brief.

Evidence may not import a domain above it (economy, advocacy…), so such a domain registers its
indicator here from its app's `ready()`, as a text command is registered with capture:

    panels.register_indicator(panels.Indicator(key="agricultura-familiar", label=..., figure=..., places=...))

`figure(selection)` gives the dashboard's and the brief's panel for a `selectors.Selection` (or
None when there is nothing to show); `places(selection, digits)` gives a value per department
(digits=2) or province (digits=4) code, which the map draws as a layer of its own.

When the figures of an indicator change, its domain calls `evidence.cache.invalidate(org)` in the
same transaction, as the kitchens' writes do: the dashboards kept in the cache are drawn afresh."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Figure:
    """What a panel shows: a headline, what it means, a note, and optional bars."""

    headline: str  # "23.4 %"
    label: str  # "de las compras, a la agricultura familiar"
    note: str = ""  # "meta de 2026: 30 %; 3 de 12 municipalidades la cumplen"
    bars_title: str = ""
    bars: Sequence[tuple[str, float | None]] = ()
    bars_desc: str = ""
    unit: str = ""
    decimals: int = 1
    link: str = ""  # the domain's own page with the detail


@dataclass(frozen=True)
class Indicator:
    key: str  # also the map's `indicador=` value
    label: object  # the map layer's name (lazy)
    figure: Callable  # (selection) -> Figure | None
    places: Callable | None = None  # (selection, digits) -> {place code: value or None}
    decimals: int = 1
    unit: str = ""
    title: object = ""  # the panel's heading on the dashboard and the brief
    extra: dict = field(default_factory=dict)


_REGISTRY: dict[str, Indicator] = {}


def register_indicator(indicator: Indicator) -> None:
    taken = _REGISTRY.get(indicator.key)
    if taken is not None and taken != indicator:
        raise ImproperlyConfigured(f"evidence indicator {indicator.key!r} is already registered")
    _REGISTRY[indicator.key] = indicator


def registered() -> list[Indicator]:
    return sorted(_REGISTRY.values(), key=lambda i: i.key)


def map_layers() -> dict[str, Indicator]:
    return {i.key: i for i in registered() if i.places is not None}


def panels_for(selection) -> list[tuple[Indicator, Figure]]:
    """Every registered indicator's panel for a selection (those with something to show)."""
    out = []
    for indicator in registered():
        figure = indicator.figure(selection)
        if figure is not None:
            out.append((indicator, figure))
    return out
