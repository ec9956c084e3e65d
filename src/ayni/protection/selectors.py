"""Scoped reads of protection. A case is found only through `may_read` (the scope's
`reads_case`): for anyone else it does not exist (404). Every read that opens a case's content
logs itself first (`access.log_reads`)."""

import datetime
import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from ayni.accounts.models import Role
from ayni.accounts.scope import Can, Scope
from ayni.protection import vault
from ayni.protection.access import log_reads, may_read, not_found
from ayni.protection.models import AccessEntry, Alert, Case, CaseFile, CaseKey, Referral, Service, Supervisor

# A count drawn from fewer cases than this is not shown outside the cases' own readers.
MIN_CASES = 5


def supervised(scope: Scope) -> list[int]:
    """The federations whose supervisor she is (while she holds the defensora role)."""
    if scope.user_id is None or Role.DEFENDER not in scope.roles:
        return []
    return list(Supervisor.objects.filter(account_id=scope.user_id).values_list("federation_id", flat=True))


def readable_cases(scope: Scope):
    """Her cases as defensora and those of the federations she supervises; nobody else's."""
    if scope.user_id is None or Role.DEFENDER not in scope.roles:
        return Case.objects.none()
    return Case.objects.filter(Q(defender_id=scope.user_id) | Q(federation_id__in=supervised(scope)))


def _case(scope: Scope, pk: int, *, lock: bool = False) -> tuple[Case, bool]:
    qs = Case.objects.select_related("organisation", "district", "defender")
    if lock:
        qs = qs.select_for_update(of=("self",))
    case = qs.filter(pk=pk).first()
    if case is None:
        raise not_found()
    ok, glass = may_read(scope, case)
    if not ok:
        raise not_found()
    return case, glass


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
    alias: str
    kind: str
    kind_label: str
    risk: str
    risk_label: str
    status_label: str
    opened_on: datetime.date
    follow_up_on: datetime.date | None


def case_list(scope: Scope, *, status: str = "") -> list[CaseCard]:
    """Her list: aliases opened under each case's key, each read logged as a list read."""
    qs = readable_cases(scope).select_related("organisation").order_by("-opened_on", "-pk")
    if status:
        qs = qs.filter(status=status)
    cases = list(qs[:500])
    keys_by_case = {k.case_id: k for k in CaseKey.objects.filter(case_id__in=[c.pk for c in cases])}
    follow = dict(Referral.objects.filter(case_id__in=[c.pk for c in cases], status=Referral.Status.SENT)
                  .order_by("follow_up_on").values_list("case_id", "follow_up_on"))
    # Labels translated once, not three lazy lookups per row.
    kinds, risks, statuses = ({v: str(label) for v, label in c.choices} for c in (Case.Kind, Case.Risk, Case.Status))
    cards = []
    for case in cases:
        sealer = vault.Sealer(case, vault.case_key(case, keys_by_case[case.pk]))
        cards.append(CaseCard(case.pk, sealer.text("alias", case.alias_sealed), case.kind, kinds[case.kind],
                              case.risk, risks[case.risk], statuses[case.status], case.opened_on,
                              follow.get(case.pk)))
    log_reads(scope, cases, AccessEntry.Part.LIST)
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
    log_reads(scope, [case], part, glass=glass)
    sealer = vault.Sealer(case, vault.case_key(case))
    page = CasePage(case=case, alias=sealer.text("alias", case.alias_sealed),
                    name=sealer.text("name", case.name_sealed),
                    notes=sealer.text("notes", case.notes_sealed), glass=glass,
                    is_supervisor=scope.user_id is not None and case.federation_id in supervised(scope))
    if case.kind == Case.Kind.LAND:
        parcel = sealer.text("parcel", case.parcel_sealed)
        page.parcel = json.loads(parcel) if parcel else {}
        page.claim = sealer.text("claim", case.claim_sealed)
        page.involved = sealer.text("involved", case.involved_sealed)
        page.steps = [(s, sealer.text("step.note", s.note_sealed)) for s in case.steps.all()]
    page.referrals = [(r, sealer.text("referral.outcome", r.outcome_sealed),
                       sealer.text("referral.carry", r.carry_sealed))
                      for r in case.referrals.select_related("service")]
    page.files = list(case.files.defer("content_sealed").order_by("pk"))
    return page


def read_file(scope: Scope, pk: int, file_pk: int) -> tuple[CaseFile, bytes]:
    """A document of the case, its read logged, its SHA-256 checked against the sealed one."""
    case, glass = _case(scope, pk)
    item = CaseFile.objects.filter(pk=file_pk, case=case).first()
    if item is None:
        raise not_found()
    log_reads(scope, [case], AccessEntry.Part.FILE, item=item.pk, glass=glass)
    sealer = vault.Sealer(case, vault.case_key(case))
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
    from ayni.orgs.models import Organisation

    return Organisation.objects.filter(scope.q(Can.EDIT) | scope.q(Can.PROTECT)).filter(kind__is_kitchen=False)


@dataclass
class CountRow:
    district: str
    year: int
    violence: int | None
    land: int | None


def counts(scope: Scope, organisation) -> list[CountRow]:
    """Cases by district and year under an organisation she may view — counts only, a cell
    drawn from fewer than five cases left blank, and where one cell of a row is blank, the
    other too (so the row's total, known from other tables, never gives it back)."""
    scope.require(Can.VIEW, organisation)
    cells: dict[tuple[str, int], Counter] = defaultdict(Counter)
    rows = (Case.objects.filter(organisation__path__startswith=organisation.path)
            .values_list("district__name", "opened_on__year", "kind"))
    for district, year, kind in rows:
        cells[(district, year)][kind] += 1
    out = []
    for (district, year), counter in sorted(cells.items()):
        v, land = counter[Case.Kind.VIOLENCE], counter[Case.Kind.LAND]
        hidden = 0 < v < MIN_CASES or 0 < land < MIN_CASES
        out.append(CountRow(district, year, None if hidden else v, None if hidden else land))
    return out
