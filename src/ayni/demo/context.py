"""The state shared by the demo's generation steps.

Each domain (tree, people, boards, requirements, accounts, and later rolls or daily reports)
is one function `step(ctx)`. They run in order and hand each other what they created through
this object: the organisations by kind, each one's members and current board. Only the
random generator `ctx.rng` may be used for choices, and only in a fixed order, so a seed
always gives the same data.
"""

import datetime
import random
from collections import Counter
from dataclasses import dataclass, field

from ayni.demo.plan import Scale
from ayni.orgs.models import Organisation

FEDERATION_KINDS = ("confederacion", "federacion-provincial", "federacion-distrital")


@dataclass(slots=True)
class Member:
    """A person's membership in an organisation, as the later steps need it."""

    person_id: int
    sex: str
    since: datetime.date
    until: datetime.date | None
    has_phone: bool = False

    def is_current(self, on: datetime.date) -> bool:
        return self.since <= on and (self.until is None or self.until >= on)


@dataclass(eq=False)
class Node:
    """A created organisation with what the generator knows about it beyond its row."""

    org: Organisation
    kind: str
    department: str  # INEI department code: drives names, languages and surnames
    province: str
    parent: "Node | None" = None
    key: str = ""  # the plan's key, for provincial federations ("lima-sur")
    children: list["Node"] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    # Current board: position code → person id. Empty when the board expired or never existed.
    board: dict[str, int] = field(default_factory=dict)
    board_starts_on: datetime.date | None = None
    board_ends_on: datetime.date | None = None

    @property
    def pk(self) -> int:
        return self.org.pk

    @property
    def is_active(self) -> bool:
        return self.org.status == Organisation.Status.ACTIVE

    def current_members(self, on: datetime.date) -> list[Member]:
        return [m for m in self.members if m.is_current(on)]

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Account:
    """A demo login, for the summary table."""

    username: str
    phone: str
    role: str
    organisation: str
    password: str


class NullProgress:
    """Stands in for tqdm when the progress bar is off."""

    def update(self, n: int = 1) -> None:
        pass

    def set_description(self, desc: str) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class DemoContext:
    rng: random.Random
    today: datetime.date
    scale: Scale
    seed: int
    password: str
    progress: object = field(default_factory=NullProgress)
    confederation: Node | None = None
    nodes: list[Node] = field(default_factory=list)  # every organisation, tree order
    by_kind: dict[str, list[Node]] = field(default_factory=dict)
    used_dnis: set[str] = field(default_factory=set)
    used_phones: set[str] = field(default_factory=set)
    counts: Counter = field(default_factory=Counter)
    accounts: list[Account] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things the summary should mention

    def add_node(self, node: Node) -> None:
        self.nodes.append(node)
        self.by_kind.setdefault(node.kind, []).append(node)
        if node.parent is not None:
            node.parent.children.append(node)

    def kind_nodes(self, *kinds: str) -> list[Node]:
        return [n for n in self.nodes if n.kind in kinds]

    @property
    def base_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.kind not in FEDERATION_KINDS]

    @property
    def federation_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.kind in FEDERATION_KINDS]

    def date_between(self, start: datetime.date, end: datetime.date) -> datetime.date:
        """A uniformly random day in [start, end] (start when the range is empty)."""
        span = (end - start).days
        return start if span <= 0 else start + datetime.timedelta(days=self.rng.randint(0, span))
