"""The invariants of the savings groups' ledger, recomputed from the entries: money is
conserved in every cycle (what came in = what is in the box + what is on loan + what was paid
out, none of them negative), a reversal is the exact opposite of the one entry it reverses, a
loan's disbursement is its principal, and a share-out's stored sheet equals a recomputation from
the ledger, to the céntimo; and the purchases' roll-up equals a recomputation from the purchases.
`economy_violations` is what `ayni check-integrity` runs."""

from collections import defaultdict

from django.db.models import F, Sum
from django.utils.translation import gettext as _

from ayni.economy import ledger, services
from ayni.economy.models import CASH_IN, CASH_OUT, Cycle, Entry, EntryKind, Loan, ShareOut, ShareOutLine


def _kind_totals(**filters) -> dict:
    out: dict = defaultdict(lambda: defaultdict(int))
    for row in Entry.objects.filter(**filters).values("cycle_id", "kind").annotate(total=Sum("amount")):
        out[row["cycle_id"]][row["kind"]] = row["total"] or 0
    return out


def conservation_violations(cycle_ids=None) -> list[str]:
    totals = _kind_totals(**({"cycle_id__in": cycle_ids} if cycle_ids is not None else {}))
    out = []
    for cycle_id, t in totals.items():
        came_in = t[EntryKind.SHARES] + t[EntryKind.SOCIAL] + t[EntryKind.FINE] + t[EntryKind.INTEREST]
        on_loan = t[EntryKind.LOAN] - t[EntryKind.REPAYMENT]
        paid_out = t[EntryKind.WITHDRAWAL] + t[EntryKind.SOCIAL_PAYOUT] + t[EntryKind.SHARE_OUT]
        box = sum(t[k] for k in CASH_IN) - sum(t[k] for k in CASH_OUT)
        if came_in != box + on_loan + paid_out:
            out.append(_("Ciclo %(c)s: entró %(i)s pero caja %(b)s + prestado %(l)s + pagado %(p)s no suman igual.")
                       % {"c": cycle_id, "i": came_in, "b": box, "l": on_loan, "p": paid_out})
        if box < 0 or on_loan < 0:
            out.append(_("Ciclo %(c)s: caja (%(b)s) o cartera (%(l)s) en negativo.")
                       % {"c": cycle_id, "b": box, "l": on_loan})
    return out


def reversal_violations() -> list[str]:
    out = []
    bad = Entry.objects.filter(reverses__isnull=False).exclude(
        kind=F("reverses__kind"), amount=-F("reverses__amount"), shares=-F("reverses__shares"),
        cycle=F("reverses__cycle"))
    out += [_("Movimiento %(pk)s: no es el opuesto exacto del que anula.") % {"pk": pk}
            for pk in bad.values_list("pk", flat=True)[:100]]
    bad = (Entry.objects.filter(reverses__isnull=False).exclude(member=F("reverses__member"))
           .exclude(member__isnull=True, reverses__member__isnull=True))
    out += [_("Movimiento %(pk)s: anula el de otra socia.") % {"pk": pk}
            for pk in bad.values_list("pk", flat=True)[:100]]
    return out


def loan_violations() -> list[str]:
    out = []
    sums = defaultdict(lambda: defaultdict(int))
    for row in Entry.objects.filter(loan__isnull=False).values("loan_id", "kind").annotate(total=Sum("amount")):
        sums[row["loan_id"]][row["kind"]] = row["total"] or 0
    for loan_id, principal in Loan.objects.values_list("pk", "principal").iterator(chunk_size=5000):
        t = sums[loan_id]
        if t[EntryKind.LOAN] not in (0, principal):
            out.append(_("Préstamo %(pk)s: desembolsado %(d)s y no %(p)s.") % {"pk": loan_id, "d": t[EntryKind.LOAN],
                                                                            "p": principal})
        if not 0 <= t[EntryKind.REPAYMENT] <= t[EntryKind.LOAN]:
            out.append(_("Préstamo %(pk)s: pagado %(r)s de %(d)s.") % {"pk": loan_id, "r": t[EntryKind.REPAYMENT],
                                                                     "d": t[EntryKind.LOAN]})
    return out


def share_out_violations(cycle_ids=None, chunk: int = 500) -> list[str]:
    """Each stored share-out equals a recomputation from the ledger without its own entries, and
    its entries pay exactly what its lines say. The ledgers are read a chunk of cycles at a time,
    in one query each (`services.ledgers_of`)."""
    out = []
    done = ShareOut.objects.order_by("cycle_id")
    if cycle_ids is not None:
        done = done.filter(cycle_id__in=cycle_ids)
    done = list(done)
    for i in range(0, len(done), chunk):
        part = done[i:i + chunk]
        ids = [s.cycle_id for s in part]
        before_by = services.ledgers_of(ids)
        after_by = services.ledgers_of(ids, with_share_out=True)
        loans_by = services.loans_of(ids)
        lines_by = defaultdict(set)
        for line in ShareOutLine.objects.filter(share_out__in=part).values_list(
                "share_out_id", "member_id", "shares", "gross", "owed", "netted", "paid"):
            lines_by[line[0]].add(line[1:])
        own = defaultdict(lambda: defaultdict(int))
        for share_out_id, kind, total in (Entry.objects.filter(share_out__in=part).values("share_out_id", "kind")
                                          .annotate(t=Sum("amount")).order_by()
                                          .values_list("share_out_id", "kind", "t")):
            own[share_out_id][kind] = total or 0
        for stored in part:
            before = before_by[stored.cycle_id]
            plan = services._plan_from(before, services._states_of(loans_by[stored.cycle_id], before, stored.on))
            if lines_by[stored.pk] != {(x.member, x.shares, x.gross, x.owed, x.netted, x.paid) for x in plan.lines} \
                    or (stored.distributable, stored.remainder, stored.box) != (plan.distributable, plan.remainder,
                                                                               plan.box):
                out.append(_("Reparto del ciclo %(c)s: no coincide con el recálculo desde el libro.")
                           % {"c": stored.cycle_id})
            paid = own[stored.pk][EntryKind.SHARE_OUT]
            netted = own[stored.pk][EntryKind.REPAYMENT] + own[stored.pk][EntryKind.INTEREST]
            if paid != sum(x.gross for x in plan.lines) or netted != plan.recovered:
                out.append(_("Reparto del ciclo %(c)s: sus movimientos no pagan lo que dice la hoja.")
                           % {"c": stored.cycle_id})
            after = ledger.books(after_by[stored.cycle_id]).box
            if after != plan.social_fund + plan.remainder:
                out.append(_("Reparto del ciclo %(c)s: en caja quedan %(a)s y no el fondo social más el sobrante.")
                           % {"c": stored.cycle_id, "a": after})
    open_with_share = Cycle.objects.filter(status=Cycle.Status.OPEN, share_out__isnull=False)
    out += [_("Ciclo %(c)s: tiene reparto pero sigue abierto.") % {"c": pk}
            for pk in open_with_share.values_list("pk", flat=True)]
    return out


def economy_violations() -> list[str]:
    from ayni.economy.gardens import harvest_violations
    from ayni.economy.producers import rollup_violations
    from ayni.economy.ventures import venture_violations

    return (conservation_violations() + reversal_violations() + loan_violations() + share_out_violations()
            + harvest_violations() + venture_violations() + rollup_violations())
