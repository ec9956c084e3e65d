"""Demo step: boards (juntas directivas) with two-year terms, federation members, promoters.

Base organisations elect their board from their socias. A federation's members are the
leaders its member organisations send (their presidentas, a secretaria now and then), and its
board and promoters come from those. About one board in ten ends within the next 60 days, so
a coordinator opening the demo sees boards to renew; a few base organisations let their board
expire without electing a new one.
"""

import datetime

from django.utils.translation import gettext as _

from ayni.demo.context import FEDERATION_KINDS, DemoContext, Member, Node
from ayni.demo.people import add_years
from ayni.people.models import Membership, Position

BATCH = 1000
DAY = datetime.timedelta(days=1)
BASE_REQUIRED = ("presidenta", "secretaria", "tesorera")
BASE_OPTIONAL = (("vicepresidenta", 0.3), ("fiscal", 0.5), ("vocal", 0.4))
FEDERATION_REQUIRED = ("presidenta", "vicepresidenta", "secretaria", "tesorera")
FEDERATION_OPTIONAL = (("fiscal", 0.8), ("vocal", 0.6))
PROMOTERS = (("promotora-violencia", 0.8), ("promotora-salud", 0.6), ("promotora-ambiente", 0.5))
EXPIRING_SHARE = 0.10
EXPIRED_SHARE = 0.04  # active base organisations whose board lapsed


class PositionWriter:
    def __init__(self, ctx: DemoContext):
        self.ctx = ctx
        self.rows: list[Position] = []

    def add(self, node: Node, code: str, member: Member, starts: datetime.date, ends: datetime.date) -> None:
        ctx = self.ctx
        elected = max(starts - datetime.timedelta(days=ctx.rng.randint(0, 20)), node.org.founded_on)
        self.rows.append(Position(
            person_id=member.person_id, organisation_id=node.pk, kind_id=code, starts_on=starts, ends_on=ends,
            elected_by=f"Acta de asamblea general del {elected:%d/%m/%Y}",
        ))
        ctx.counts["positions"] += 1
        if starts <= ctx.today <= ends:
            ctx.counts["positions_current"] += 1
            if ends <= ctx.today + datetime.timedelta(days=60):
                ctx.counts["positions_expiring"] += 1
        if len(self.rows) >= BATCH * 5:
            self.flush()

    def flush(self) -> None:
        Position.objects.bulk_create(self.rows, batch_size=BATCH)
        self.rows = []


def current_term(ctx: DemoContext, founded_on: datetime.date) -> tuple[datetime.date, datetime.date]:
    """A two-year term running today: about one in ten ends within 60 days."""
    rng, today = ctx.rng, ctx.today
    if rng.random() < EXPIRING_SHARE:
        low, high = today + DAY, today + 60 * DAY
    else:
        low, high = today + 61 * DAY, today + 729 * DAY
    low = max(low, add_years(founded_on, 2) - DAY)  # the term starts after the founding
    if low > high:
        return founded_on, add_years(founded_on, 2) - DAY
    ends = ctx.date_between(low, high)
    return add_years(ends, -2) + DAY, ends


def past_term(ends: datetime.date, founded_on: datetime.date) -> tuple[datetime.date, datetime.date]:
    ends = max(ends, founded_on)
    return max(add_years(ends, -2) + DAY, founded_on), ends


def _choose(ctx: DemoContext, pool: list[Member], required, optional,
            avoid: frozenset[int] = frozenset()) -> list[tuple[str, Member]]:
    """Distinct people for the required positions and a random share of the optional ones.
    The presidency goes to someone outside `avoid` when possible."""
    women = [m for m in pool if m.sex == "F"] or pool
    codes = list(required) + [code for code, odds in optional if ctx.rng.random() < odds]
    people = ctx.rng.sample(women, min(len(women), len(codes)))
    if avoid and people and people[0].person_id in avoid:
        # Swap in a board member (or another woman) who leads no member federation.
        swap = next((i for i, m in enumerate(people) if m.person_id not in avoid), None)
        if swap is None:
            chosen = {m.person_id for m in people}
            outsider = next((m for m in women if m.person_id not in avoid and m.person_id not in chosen), None)
            if outsider is not None:
                people[0] = outsider
        else:
            people[0], people[swap] = people[swap], people[0]
    return list(zip(codes, people, strict=False))


def _eligible(members: list[Member], on: datetime.date) -> list[Member]:
    return [m for m in members if m.since <= on and (m.until is None or m.until >= on)]


def _elect(ctx: DemoContext, writer: PositionWriter, node: Node, required, optional,
           starts: datetime.date, ends: datetime.date, current: bool) -> None:
    # A current board comes from women who were socias at the election and still are.
    last_day = ctx.today if current else ends
    pool = [m for m in _eligible(node.members, starts) if m.is_current(last_day)]
    pool = pool or _eligible(node.members, min(ends, ctx.today))
    # A federation's presidenta is rarely also the presidenta of one of its member federations.
    avoid = frozenset(c.board["presidenta"] for c in node.children
                      if c.kind in FEDERATION_KINDS and "presidenta" in c.board)
    for code, member in _choose(ctx, pool, required, optional, avoid):
        writer.add(node, code, member, starts, ends)
        if current:
            node.board[code] = member.person_id
    if current:
        node.board_starts_on, node.board_ends_on = starts, ends


def _base_board(ctx: DemoContext, writer: PositionWriter, node: Node) -> None:
    rng, org, today = ctx.rng, node.org, ctx.today
    required = BASE_REQUIRED + (("almacenera",) if org.kind.is_kitchen else ())
    if node.is_active and rng.random() >= EXPIRED_SHARE:
        starts, ends = current_term(ctx, org.founded_on)
        _elect(ctx, writer, node, required, BASE_OPTIONAL, starts, ends, current=True)
        if rng.random() < 0.5 and add_years(starts, -2) >= org.founded_on:  # the board before
            before = past_term(starts - DAY, org.founded_on)
            _elect(ctx, writer, node, required, BASE_OPTIONAL, *before, current=False)
        return
    # No current board: it lapsed (and, for an inactive or closed organisation, before it stopped).
    last = org.status_changed_on or today
    ends = max(last - datetime.timedelta(days=rng.randint(15, 400)), org.founded_on + 30 * DAY)
    ends = min(ends, today - DAY)
    _elect(ctx, writer, node, required, BASE_OPTIONAL, *past_term(ends, org.founded_on), current=False)
    ctx.counts["orgs_board_expired"] += 1


def _delegates(ctx: DemoContext, node: Node) -> list[Member]:
    """The leaders a member organisation sends to its federation."""
    rng, today = ctx.rng, ctx.today
    if node.kind in FEDERATION_KINDS:
        ids = list(node.board.values())
    else:
        ids = [node.board["presidenta"]] if "presidenta" in node.board else []
        current = [m for m in node.current_members(today) if m.person_id not in ids]
        if current and (not ids or rng.random() < 0.4):
            ids.append(rng.choice(current).person_id)
    by_id = {m.person_id: m for m in node.members}
    return [by_id[i] for i in ids if i in by_id]


def _federation(ctx: DemoContext, writer: PositionWriter, node: Node, counsel_odds: float) -> None:
    rng, org = ctx.rng, node.org
    delegates: list[Member] = []
    for child in node.children:
        if child.is_active:
            delegates.extend(_delegates(ctx, child))
    if node.kind == "federacion-provincial" and len(delegates) < 12:
        # Few district federations: presidentas of base organisations join directly.
        extra = [c for n in node.walk() if n.kind not in FEDERATION_KINDS for c in _delegates(ctx, n)[:1]]
        delegates.extend(rng.sample(extra, min(len(extra), 12 - len(delegates))))
    if node.kind == "federacion-provincial" and len(delegates) > 40:
        delegates = rng.sample(delegates, 40)
    seen: set[int] = set()
    memberships = []
    for d in delegates:
        if d.person_id in seen:
            continue
        seen.add(d.person_id)
        since = max(org.founded_on, d.since)
        node.members.append(Member(d.person_id, d.sex, since, None, d.has_phone))
        memberships.append(Membership(person_id=d.person_id, organisation_id=node.pk, since=since))
    Membership.objects.bulk_create(memberships, batch_size=BATCH)
    ctx.counts["memberships"] += len(memberships)
    if not node.members:
        ctx.notes.append(_("%(org)s: sin socias para elegir su junta directiva.") % {"org": org.name})
        return
    starts, ends = current_term(ctx, org.founded_on)
    _elect(ctx, writer, node, FEDERATION_REQUIRED, FEDERATION_OPTIONAL, starts, ends, current=True)
    if add_years(starts, -2) >= org.founded_on:
        _elect(ctx, writer, node, FEDERATION_REQUIRED, FEDERATION_OPTIONAL,
               *past_term(starts - DAY, org.founded_on), current=False)
    # Promoters and legal counsel, preferably women not on the board.
    on_board = set(node.board.values())
    free = [m for m in node.members if m.person_id not in on_board] or node.members
    wanted = [code for code, odds in PROMOTERS if rng.random() < odds]
    if rng.random() < counsel_odds:
        wanted.append("consejera-legal")
    for code, member in zip(wanted, rng.sample(free, min(len(free), len(wanted))), strict=False):
        writer.add(node, code, member, *current_term(ctx, org.founded_on))
        ctx.counts["promoters"] += 1


def generate_boards(ctx: DemoContext) -> None:
    writer = PositionWriter(ctx)
    for node in ctx.base_nodes:
        _base_board(ctx, writer, node)
        ctx.progress.update(1)
    # Bottom-up, so each level can send its newly elected leaders to the one above.
    for kind, counsel_odds in (("federacion-distrital", 0.0), ("federacion-provincial", 0.25),
                               ("confederacion", 1.0)):
        for node in ctx.by_kind.get(kind, []):
            _federation(ctx, writer, node, counsel_odds)
            ctx.progress.update(1)
    writer.flush()
