"""Scoped reads of protection. A case is found only through `may_read` (the scope's
`reads_case`): for anyone else it does not exist (404). Every read that opens a case's content
logs itself first (`access.log_reads`)."""

import datetime
import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from ayni.accounts.models import Role
from ayni.accounts.scope import Can, Scope
from ayni.evidence.suppression import Cell, additive, protect, small
from ayni.geo.models import Province
from ayni.orgs.models import Organisation
from ayni.protection import keys, vault
from ayni.protection.access import Read, log_reads, may_read, not_found
from ayni.protection.models import AccessEntry, Alert, Case, CaseFile, CaseKey, Referral, Service, Supervisor

# A count drawn from fewer cases than this is not shown outside the cases' own readers.
MIN_CASES = 5


def supervised(scope: Scope) -> list[int]:
    """The federations whose supervisor she is (while she holds the defensora role). Read once
    per scope — a page asks it for its list, its links and its alerts — and a request has its
    own scope, so a supervisor named meanwhile counts from the next page on."""
    if scope.user_id is None or Role.DEFENDER not in scope.roles:
        return []
    memo = scope.__dict__.get("_protection_supervised")
    if memo is None:
        memo = scope.__dict__["_protection_supervised"] = list(
            Supervisor.objects.filter(account_id=scope.user_id).values_list("federation_id", flat=True))
    return list(memo)


def readable_cases(scope: Scope):
    """Her cases as defensora and those of the federations she supervises; nobody else's."""
    if scope.user_id is None or Role.DEFENDER not in scope.roles:
        return Case.objects.none()
    return Case.objects.filter(Q(defender_id=scope.user_id) | Q(federation_id__in=supervised(scope)))


def _case(scope: Scope, pk: int, *, lock: bool = False) -> tuple[Case, bool]:
    """The case, its wrapped key and its federation's supervisor in one query; then the scope
    decides (and for an admin, a break-glass still open)."""
    qs = Case.objects.select_related("organisation", "district", "defender", "key").annotate(
        supervisor_id=Subquery(Supervisor.objects.filter(federation_id=OuterRef("federation_id"))
                               .values("account_id")[:1]))
    if lock:
        qs = qs.select_for_update(of=("self",))
    case = qs.filter(pk=pk).first()
    if case is None:
        raise not_found()
    ok, glass = may_read(scope, case, supervisor_id=case.supervisor_id)
    if not ok:
        raise not_found()
    return case, glass


def _as_read(case: Case) -> Read:
    return Read(case.pk, case.federation_id, case.organisation.path)


def _key(case: Case) -> bytes:
    try:
        row = case.key
    except CaseKey.DoesNotExist:
        row = None
    return vault.case_key(case, row)


def case_for_change(scope: Scope, pk: int, *, lock: bool = True) -> Case:
    """The case to change, locked (inside the service's transaction; a form page asks without
    the lock): its defensora or supervisor only (break-glass reads, never writes)."""
    case, glass = _case(scope, pk, lock=lock)
    if glass:
        raise not_found()
    return case


@dataclass
class CaseCard:
    pk: int
    url: str
    alias: str
    kind: str
    line: str  # kind · risk · status, in words
    follow_up_on: datetime.date | None


def case_list(scope: Scope, *, status: str = "") -> list[CaseCard]:
    """Her list: each alias opened under its case's key, each read logged as a list read. Three
    queries (the cases with their keys, the follow-ups, the log), whatever the number of cases;
    only the alias is opened, no other field."""
    qs = readable_cases(scope).order_by("-opened_on", "-pk")
    if status:
        qs = qs.filter(status=status)
    rows = list(qs.values_list("pk", "federation_id", "organisation__path", "retain_until", "kind", "risk", "status",
                               "opened_on", "alias_sealed", "key__kid", "key__wrapped")[:500])
    follow = dict(Referral.objects.filter(case_id__in=[r[0] for r in rows], status=Referral.Status.SENT)
                  .order_by("follow_up_on").values_list("case_id", "follow_up_on"))
    # Labels translated once, not three lazy lookups per row.
    kinds, risks, statuses = ({v: str(label) for v, label in c.choices} for c in (Case.Kind, Case.Risk, Case.Status))
    risk_word = gettext("riesgo")
    url = reverse("protection:case", args=[0]).replace("/0/", "/{}/")
    cards = []
    for pk, _fed, _path, month, kind, risk, state, _opened, alias, kid, wrapped in rows:
        key = keys.unwrap(bytes(wrapped), case_id=pk, month=month, kid=kid)
        cards.append(CaseCard(pk, url.format(pk), keys.open_text(key, case_id=pk, field="alias", sealed=alias), kind,
                              f"{kinds[kind]} · {risk_word} {risks[risk].lower()} · {statuses[state]}",
                              follow.get(pk)))
    log_reads(scope, [Read(r[0], r[1], r[2]) for r in rows], AccessEntry.Part.LIST)
    return cards


@dataclass
class CasePage:
    case: Case
    alias: str
    name: str
    notes: str
    glass: bool
    is_supervisor: bool
    parcel: dict = field(default_factory=dict)
    claim: str = ""
    involved: str = ""
    referrals: list = field(default_factory=list)  # (referral, outcome, carry)
    steps: list = field(default_factory=list)  # (step, note)
    files: list = field(default_factory=list)


def referral_for_change(scope: Scope, pk: int, referral_pk: int) -> Referral:
    """A referral of a case she may change; "not found" for any other, as for the case itself."""
    referral = Referral.objects.filter(pk=referral_pk, case=case_for_change(scope, pk, lock=False)).first()
    if referral is None:
        raise not_found()
    return referral


def read_case(scope: Scope, pk: int, part: str = AccessEntry.Part.CASE) -> CasePage:
    case, glass = _case(scope, pk)
    log_reads(scope, [_as_read(case)], part, glass=glass)
    sealer = vault.Sealer(case, _key(case))
    page = CasePage(case=case, alias=sealer.text("alias", case.alias_sealed),
                    name=sealer.text("name", case.name_sealed),
                    notes=sealer.text("notes", case.notes_sealed), glass=glass,
                    is_supervisor=(scope.user_id is not None and Role.DEFENDER in scope.roles
                                   and scope.user_id == case.supervisor_id))
    if case.kind == Case.Kind.LAND:
        parcel = sealer.text("parcel", case.parcel_sealed)
        page.parcel = json.loads(parcel) if parcel else {}
        page.claim = sealer.text("claim", case.claim_sealed)
        page.involved = sealer.text("involved", case.involved_sealed)
        page.steps = [(s, sealer.text("step.note", s.note_sealed)) for s in case.steps.all()]
        page.files = list(case.files.defer("content_sealed").order_by("pk"))
    # Labels and addresses made once for the page, not a lookup of every choice per row.
    kinds, statuses = ({v: str(label) for v, label in c.choices} for c in (Service.Kind, Referral.Status))
    edit = reverse("protection:referral_edit", args=[case.pk, 0]).replace("/0/", "/{}/")
    sheet = reverse("protection:referral_sheet", args=[case.pk, 0]).replace("/0/", "/{}/")
    page.referrals = []
    for r in case.referrals.select_related("service"):
        r.kind_label, r.status_label = kinds[r.kind], statuses[r.status]
        r.edit_url, r.sheet_url = edit.format(r.pk), sheet.format(r.pk)
        page.referrals.append((r, sealer.text("referral.outcome", r.outcome_sealed),
                               sealer.text("referral.carry", r.carry_sealed)))
    return page


def read_file(scope: Scope, pk: int, file_pk: int) -> tuple[CaseFile, bytes]:
    """A document of the case, its read logged, its SHA-256 checked against the sealed one."""
    case, glass = _case(scope, pk)
    item = CaseFile.objects.filter(pk=file_pk, case=case).first()
    if item is None:
        raise not_found()
    log_reads(scope, [_as_read(case)], AccessEntry.Part.FILE, item=item.pk, glass=glass)
    sealer = vault.Sealer(case, _key(case))
    content = sealer.bytes("file.content", item.content_sealed)
    if hashlib.sha256(content).hexdigest() != sealer.text("file.sha256", item.sha256_sealed):
        raise ValueError(f"document {item.pk} does not match its hash")
    return item, content


def access_log(scope: Scope, *, case_number: int | None = None, days: int = 30):
    """Who read what, for the supervisor of the federations she supervises: numbers and readers."""
    federations = supervised(scope)
    qs = AccessEntry.objects.filter(federation_id__in=federations,
                                    at__gte=timezone.now() - datetime.timedelta(days=days))
    if case_number is not None:
        qs = qs.filter(case_number=case_number)
    return qs.select_related("reader").order_by("-at")


def alerts(scope: Scope):
    return Alert.objects.filter(federation_id__in=supervised(scope)).select_related("reader")[:50]


def directory(scope: Scope, *, district=None):
    """The directory of services: every defensora and coordinator sees it (no case in it)."""
    if not (scope.holds(Can.PROTECT) or scope.holds(Can.EDIT)):
        return Service.objects.none()
    qs = Service.objects.select_related("district")
    return qs.filter(district=district) if district else qs


def editable_federations(scope: Scope):
    return Organisation.objects.filter(scope.q(Can.EDIT) | scope.q(Can.PROTECT)).filter(kind__is_kitchen=False)


@dataclass
class CountRow:
    district: str
    year: int
    violence: int | None
    land: int | None


@dataclass
class Counts:
    """What the counts page publishes for one federation: the table by district and year, and
    for one year the cases by province inside the federation's territory (`places`: code →
    count, None when left blank), the provinces' names, and the cases recorded elsewhere."""

    rows: list[CountRow]
    year: int | None = None
    years: list[int] = field(default_factory=list)
    places: dict[str, int | None] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    elsewhere: int | None = 0


ELSEWHERE = ""  # the cell of cases recorded outside the federation's territory


def _blank_year(rows: dict[str, Counter], territory: set[str]) -> tuple[set[str], dict[str, Cell]]:
    """One year's blanks: (districts left blank in the table, the province cells of the map).

    Safe against differencing, in three steps, all with `MIN_CASES`:
    1. a district whose violence or land count is small is blank (both its counts);
    2. a province whose total is small is blank on the map, and others beside it until what
       the blank ones add up to (the federation's total, taken as known, minus the shown) is
       0 or at least `MIN_CASES` — with every district of a blank province blank in the table,
       so nothing inside it is known;
    3. in a province shown on the map, its total minus its shown districts is its blank ones:
       more districts are left blank until that too is 0 or at least `MIN_CASES`.
    """
    def place(code: str) -> str:
        return code[:4] if code[:4] in territory else ELSEWHERE

    districts = {code: Cell(code, (sum(c.values()),), any(small(n, MIN_CASES) for n in c.values()))
                 for code, c in rows.items()}
    totals: Counter = Counter()
    for code, cell in districts.items():
        totals[place(code)] += cell.counts[0]
    provinces = {p: Cell(p, (totals[p],), small(totals[p], MIN_CASES)) for p in set(totals) | territory}
    protect(list(provinces.values()), additive((0,)), (True,), minimum=MIN_CASES)
    for p, cell in provinces.items():
        inside = [d for code, d in districts.items() if place(code) == p]
        if cell.suppressed:
            for d in inside:
                d.suppressed = True
        else:
            protect(inside, additive((0,)), (True,), minimum=MIN_CASES)
    return {code for code, d in districts.items() if d.suppressed}, provinces


def counts(scope: Scope, organisation, *, year: int | None = None) -> Counts:
    """The cases of a federation (those its supervisor reads) by district and year, and on the
    map by province, for someone who may view the federation — counts only, never a case, a
    count of fewer than five cases and whatever would give it back left blank (`_blank_year`).
    Each case counts in one federation's figures only, so no two federations' pages subtract
    to a smaller group. Provinces outside the federation's territory (where its organisations
    are) are not drawn: their cases count in one cell, "elsewhere"."""
    scope.require(Can.VIEW, organisation)
    cells: dict[int, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    names: dict[str, str] = {}
    for code, name, opened, kind in (Case.objects.filter(federation=organisation)
                                     .values_list("district_id", "district__name", "opened_on__year", "kind")):
        cells[opened][code][kind] += 1
        names[code] = name
    territory = {code[:4] for code in Organisation.objects.filter(path__startswith=organisation.path)
                 .exclude(district=None).values_list("district_id", flat=True)}
    years = sorted(cells, reverse=True)
    year = year if year in cells else (years[0] if years else None)
    out = Counts(rows=[], year=year, years=years,
                 names={p.code: p.name.title() for p in Province.objects.filter(code__in=territory)})
    for y in sorted(cells):
        blank, provinces = _blank_year(cells[y], territory)
        for code, counter in sorted(cells[y].items(), key=lambda kv: names[kv[0]]):
            hidden = code in blank
            out.rows.append(CountRow(names[code], y, None if hidden else counter[Case.Kind.VIOLENCE],
                                     None if hidden else counter[Case.Kind.LAND]))
        if y == year:
            shown = {p: (None if c.suppressed else c.counts[0]) for p, c in provinces.items()}
            out.elsewhere = shown.pop(ELSEWHERE, 0)
            out.places = shown
    if year is None:
        out.places = dict.fromkeys(territory, 0)
    return out
