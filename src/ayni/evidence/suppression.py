"""Complementary suppression for the open data: which published cells to leave blank so that
no sum or difference of what the public can download gives back a figure drawn from fewer
than 3 kitchens.

A suppressed cell is not enough on its own: when the cells of a table add up to a published
total (the months of a year to the year, the departments to the federation, the provinces to
their department, a federation inside a published confederation to the confederation), the
total minus the published cells is the suppressed ones. So whenever cells are left blank, what
the total minus the published cells leaves — the *residual* — must itself come from 0 or at
least 3 kitchens; if not, the smallest other cell that fixes it is blanked too.

Everything here counts kitchens, never sums: which cells are blank depends only on how many
kitchens stand behind each, so it can be decided before any figure is read, and tested apart.
"""

from collections.abc import Callable
from dataclasses import dataclass

MIN_KITCHENS = 3
MIN_PEOPLE = 5


def small(n: int, minimum: int = MIN_KITCHENS) -> bool:
    """Drawn from some, but too few, to publish (none is not a small cell: a 0 tells nothing)."""
    return 0 < n < minimum


@dataclass
class Cell:
    """One row of a published table, by how many kitchens stand behind it: one number per count
    that must be protected (active kitchens, reporting kitchens; and the same for the part of it
    that a nested publisher does not cover)."""

    key: str
    counts: tuple[int, ...]
    suppressed: bool = False


Residual = Callable[[list[Cell]], tuple[int, ...]]


def additive(hidden: tuple[int, ...]) -> Residual:
    """The residual of cells that partition their total's kitchens (places: a kitchen is in one
    place), plus the part of the total that no cell shows (kitchens without a place)."""
    def residual(suppressed: list[Cell]) -> tuple[int, ...]:
        return tuple(h + sum(c.counts[i] for c in suppressed) for i, h in enumerate(hidden))
    return residual


def protect(cells: list[Cell], residual: Residual, known: tuple[bool, ...], minimum: int = MIN_KITCHENS) -> None:
    """Blank more cells (in place) until the residual is 0 or at least `minimum` (3 kitchens)
    for every count whose total the public knows (`known`). `cells` come with their own
    suppression set."""
    while True:
        left = residual([c for c in cells if c.suppressed])
        need = [k and small(n, minimum) for k, n in zip(known, left, strict=True)]
        if not any(need):
            return
        fixes = [c for c in cells if not c.suppressed
                 and any(want and n >= minimum for want, n in zip(need, c.counts, strict=True))]
        if not fixes:
            # Every published cell counts 0 there, so the total is the residual and is small:
            # the caller has already left it blank.
            return
        min(fixes, key=lambda c: (-sum(want and n >= minimum for want, n in zip(need, c.counts, strict=True)),
                                  sum(c.counts), c.key)).suppressed = True
