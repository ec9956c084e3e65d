"""Votes and attendance by text message, handed over by capture's command registry (registered
in `GovernanceConfig.ready`). Capture has stored the text raw and applied the flood limit; here
the sender is found on the assembly's roll by her phone, and the vote goes through the one entry
that counts votes, `services.cast_votes`. Each kind of text is handled a gateway's batch at a time
(`votes_by_text`, `presents_by_text`, `dues_by_texts`: one query per kind of lookup for the batch,
bulk writes, a refusal per text); a single text is a batch of one.

    V 12 SI / V 12 NO / V 12 ABS     a vote on motion 12 (the number shown with each motion)
    PRESENTE  /  PRESENTE 31         present at today's assembly (31: which one, if several)
    Q 4567 5  /  Q 5                 dues: the treasurer records a socia's payment (DNI or its last
                                     digits, then soles); a socia reports her own (see `dues_by_text`)

Words accepted, folded (case and accents do not matter):
- the keyword: V, VOTO, VOTA, VOTAR, and the Quechua AKLLAY (choose) and the loan VOTAY;
- for: SI, A FAVOR, FAVOR, and the Quechua ARI;
- against: NO, EN CONTRA, CONTRA, and the Quechua MANAM / MANAN / MANA;
- abstention: ABS, ABST, ABSTENCION, ABSTENGO, and the Quechua MANA AKLLASPA ("without choosing");
- present: PRESENTE, and the Quechua KAYPIM / KAYPI ("here").
The Quechua words come from /work/shared/data/qu-glossary.md (ari, manam: sourced; akllay and
mana akllaspa: proposals there, awaiting review by speakers; kaypim is a proposal of ours).

A replay of a text never counts twice: a vote is a state (the same choice again is refused as
already counted, and `cast_vote` keeps one current ballot per person), attendance is marked once,
and a text processed late (a replay of one throttled or failed) does not undo a later vote of
hers that arrived and was counted first.
"""

import datetime
import re
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ayni.accounts.scope import Scope
from ayni.capture import commands
from ayni.capture.commands import Refused, TextCommand
from ayni.capture.models import Inbound
from ayni.governance import dues, selectors, services
from ayni.governance.models import Assembly, Choice, DuesPayment, Elector, Motion
from ayni.kitchens.services import NeedsConfirmation
from ayni.lib.identity import document_name
from ayni.lib.text import fold
from ayni.orgs.models import Organisation
from ayni.people.models import Person

VOTE_WORDS = frozenset({"v", "voto", "vota", "votar", "votay", "akllay"})
PRESENT_WORDS = frozenset({"presente", "kaypim", "kaypi"})
CHOICES = {
    ("si",): Choice.YES, ("ari",): Choice.YES, ("favor",): Choice.YES, ("a", "favor"): Choice.YES,
    ("no",): Choice.NO, ("manam",): Choice.NO, ("manan",): Choice.NO, ("mana",): Choice.NO,
    ("contra",): Choice.NO, ("en", "contra"): Choice.NO,
    ("abs",): Choice.ABSTAIN, ("abst",): Choice.ABSTAIN, ("abstencion",): Choice.ABSTAIN,
    ("abstengo",): Choice.ABSTAIN, ("mana", "akllaspa"): Choice.ABSTAIN,
}
MAX_DIGITS = 9  # a motion's number; more is a typo, and would overflow an integer column
EXAMPLE = "V 12 SI"


def _how_to_vote(n="12") -> str:
    return _("Escriba V, el número de la moción y su voto: V %(n)s SI, V %(n)s NO o V %(n)s ABS.") % {"n": n}


def _number(word: str) -> str | None:
    """The digits of a motion's number as typed: '12', '#12', '12.', 'N°12'; None if garbled."""
    word = re.sub(r"^(#|n°|no\.|nro\.?|n\.)", "", word).rstrip(".:;-")
    return word if word.isdigit() else None


def parse_vote(args: list[str]) -> tuple[str, str]:
    """(motion number, choice) from the words after the keyword, or `Refused` saying what is wrong."""
    if not args:
        raise Refused(_("Falta el número de la moción. %(how)s") % {"how": _how_to_vote()})
    if len(args) == 1 and (glued := re.match(r"^(\d+)([a-z]+)$", args[0])):
        args = list(glued.groups())  # 12SI
    number = _number(args[0])
    rest = tuple(args[1:])
    if number is None and len(args) > 1 and _number(args[-1]) is not None and tuple(args[:-1]) in CHOICES:
        number, rest = _number(args[-1]), tuple(args[:-1])  # SI 12: the order is not the point
    if number is None:
        if tuple(args) in CHOICES:
            raise Refused(_("Falta el número de la moción. %(how)s") % {"how": _how_to_vote()})
        raise Refused(_("No entendí el número de la moción «%(word)s»: escríbalo en cifras. %(how)s")
                      % {"word": args[0][:12].upper(), "how": _how_to_vote()})
    if not rest:
        raise Refused(_("Falta su voto en la moción %(n)s. %(how)s") % {"n": number, "how": _how_to_vote(number)})
    if rest not in CHOICES:
        raise Refused(_("No entendí su voto «%(word)s». %(how)s")
                      % {"word": " ".join(rest)[:20].upper(), "how": _how_to_vote(number)})
    return number, CHOICES[rest]


def _not_found(number: str) -> Refused:
    # The words of `cast_vote` for a motion that does not exist: one not on her roll reads the same.
    return Refused(_("No existe la moción %(n)s. Revise el número en la convocatoria.") % {"n": number})


def _not_on_any_roll() -> Refused:
    return Refused(_("Su celular no figura en ningún padrón de socias. Si es socia, pida a su secretaria que anote "
                     "su número de celular."))


def _later_votes(items: list[tuple[Inbound, list[str]]]) -> dict[tuple[str, int], list[datetime.datetime]]:
    """When the vote texts counted (accepted) that arrived after the earliest of `items`, from the
    same phones, arrived, by (phone, motion number), oldest first: one query for a batch. A text
    processed late (a replay) must not undo a later vote of hers counted first."""
    inbounds = [inbound for inbound, _args in items]
    later = (Inbound.objects.filter(kind=Inbound.Kind.MESSAGE, phone__in={i.phone for i in inbounds},
                                    status=Inbound.Status.ACCEPTED,
                                    received_at__gt=min(i.received_at for i in inbounds))
             .exclude(pk__in=[i.pk for i in inbounds]).order_by("received_at", "pk")
             .values_list("phone", "payload", "received_at"))
    found: dict[tuple[str, int], list[datetime.datetime]] = {}
    for phone, payload, received_at in later:
        command = commands.find(str(payload.get("text", "")))
        if command is None or command[0].name != "vote":
            continue
        try:
            number, _choice = parse_vote(command[1])
        except Refused:
            continue
        found.setdefault((phone, int(number)), []).append(received_at)
    return found


def _why_no_ballot(inbound: Inbound, number: str) -> Refused:
    """Why a phone has no place on the roll of motion `number`'s assembly, in words she may read."""
    people = list(selectors.people_with_phone(inbound.phone))
    if not people:
        return _not_on_any_roll()
    # Not on the roll of that motion's assembly: a socia of its own organisation learns why;
    # anyone else reads what a motion that does not exist reads.
    other = selectors.motion_of_her_organisation(people, int(number))
    if other is not None:
        for person in people:
            why = services.why_not_on_roll(person, other.item.assembly)
            if why:
                return Refused(why)
    return _not_found(number)


def prepare_votes(items: list[tuple[Inbound, list[str]]]) -> Callable[[], list[str | Exception]]:
    """Many vote texts at once (a gateway's batch), in the order they arrived, in two steps: read
    here, before the batch's write transaction, what each text says and where its sender is on
    the rolls (one query for the batch); the callable returned counts them inside it, re-reading
    under the lock what may have changed meanwhile (a later vote of hers counted, her current
    ballot, the motion still open: `services.cast_votes`), and returns per text her reply, or the
    `Refused` saying why it was not counted. A batch costs the same few statements as one text;
    only a refused text may cost a query or two of its own, to say why."""
    results: list[str | Exception | None] = [None] * len(items)
    parsed: dict[int, tuple[str, str]] = {}
    for n, (_inbound, args) in enumerate(items):
        try:
            number, choice = parse_vote(args)
            if len(number) > MAX_DIGITS:
                raise _not_found(number)
            parsed[n] = (number, choice)
        except Refused as exc:
            results[n] = exc
    places = selectors.ballots_by_phones((items[n][0].phone, number) for n, (number, _c) in parsed.items()) \
        if parsed else {}
    planned: list[tuple[int, str, str, Elector]] = []
    for n, (number, choice) in parsed.items():
        inbound = items[n][0]
        electors = places.get((inbound.phone, int(number)))
        if not electors:
            results[n] = _why_no_ballot(inbound, number)
        elif len({e.person_id for e in electors}) > 1:
            results[n] = Refused(_("Este celular figura a nombre de varias personas del padrón (N° %(numbers)s): vote "
                                   "desde la página de Ayni o pida a la secretaria que corrija los celulares.")
                                 % {"numbers": ", ".join(str(e.number) for e in electors)})
        else:
            planned.append((n, number, choice, electors[0]))
    # Their places and the proxies they gave, read here too: a vote changes neither.
    roll = services.voters_roll(elector for _n, _number, _choice, elector in planned) if planned else None

    def count() -> list[str | Exception]:
        if not planned:
            return results
        later = _later_votes([items[n] for n, *_rest in planned])
        ballots, asked = [], []
        for n, number, choice, elector in planned:
            inbound = items[n][0]
            counted = [at for at in later.get((inbound.phone, int(number)), []) if at > inbound.received_at]
            if counted:
                results[n] = Refused(_("Su voto en la moción %(n)s de las %(time)s ya fue reemplazado por el que "
                                       "envió a las %(later)s; cuenta ese.") % {
                    "n": int(number), "time": timezone.localtime(inbound.received_at).strftime("%H:%M"),
                    "later": timezone.localtime(counted[0]).strftime("%H:%M")})
                continue
            ballots.append(services.Ballot(motion_id=int(number), person=elector.person, choice=choice,
                                           channel="sms"))
            asked.append(n)
        if not ballots:
            return results
        casts = services.cast_votes(scope=Scope.system(_("voto por mensaje de texto")), ballots=ballots, roll=roll)
        for n, cast in zip(asked, casts, strict=True):
            results[n] = _vote_reply(cast)
        return results

    return count


def _vote_reply(cast: "services.Cast | services.VoteRefused") -> str | Exception:
    if isinstance(cast, services.VoteRefused):
        return Refused(" ".join(cast.messages))
    motion = cast.motion
    if motion.ballot == Motion.Ballot.SECRET:
        # The reply is stored in the outbox: it must not say how she voted.
        return (_("Su voto secreto en la moción %(n)s fue cambiado. Gracias.") if cast.replaced
                else _("Su voto secreto en la moción %(n)s fue anotado. Gracias.")) % {"n": motion.pk}
    words = {"n": motion.pk, "choice": Choice(cast.vote.choice).label, "text": motion.text[:60]}
    return (_("Cambió su voto en la moción %(n)s («%(text)s»): ahora %(choice)s. Gracias.") if cast.replaced
            else _("Voto anotado en la moción %(n)s («%(text)s»): %(choice)s. Gracias.")) % words


def votes_by_text(items: list[tuple[Inbound, list[str]]]) -> list[str | Exception]:
    """Many vote texts at once: `prepare_votes` and its count, in one go."""
    return prepare_votes(items)()


def vote_by_text(inbound: Inbound, args: list[str]) -> str:
    """One vote text: `votes_by_text` with one item."""
    result = votes_by_text([(inbound, args)])[0]
    if isinstance(result, Exception):
        raise result
    return result


def _assembly_name(assembly: Assembly) -> str:
    return _("%(org)s, %(time)s") % {"org": assembly.organisation.name,
                                     "time": date_format(timezone.localtime(assembly.starts_at), "H:i")}


def presents_by_text(items: list[tuple[Inbound, list[str]]]) -> list[str | Exception]:
    """Many PRESENTE texts at once (a gateway's batch), in the order they arrived: per text her reply,
    or the `Refused` saying why she was not marked. Who sent them, the assemblies taking attendance
    and (for those with none) the next ones are read in one query each for the batch, and the
    attendance written by `services.attend_by_texts` in one go."""
    results: list[str | Exception | None] = [None] * len(items)
    now = timezone.now()
    phones = {inbound.phone for inbound, _args in items}
    known = selectors.people_with_phones(phones)
    open_now = selectors.attendance_open_for_phones(phones, now)
    later = None  # read only if a text finds no assembly taking attendance
    chosen: dict[int, Elector] = {}
    for n, (inbound, args) in enumerate(items):
        try:
            if not known.get(inbound.phone):
                raise _not_on_any_roll()
            places = open_now.get(inbound.phone, [])
            if args:
                number = _number(args[0])
                if number is None or len(number) > MAX_DIGITS:
                    raise Refused(_("No entendí «%(word)s»: escriba PRESENTE y, si tiene varias asambleas hoy, el "
                                    "número que le indicamos.") % {"word": args[0][:12].upper()})
                places = [p for p in places if p.assembly_id == int(number)]
                if not places:
                    raise Refused(_("No tiene hoy una asamblea N° %(n)s tomando asistencia.") % {"n": number})
            if not places:
                if later is None:
                    later = selectors.next_assembly_of_phones(
                        {i.phone for i, _a in items if i.phone in known and not open_now.get(i.phone)}, now)
                upcoming = later.get(inbound.phone)
                if upcoming is not None and upcoming.assembly.is_async:
                    raise Refused(_("En una consulta su asistencia es su voto: vote cada moción con V, su número y "
                                    "SI, NO o ABS."))
                if upcoming is not None:
                    raise Refused(_("La asistencia se toma el día de la asamblea: la de %(org)s es el %(when)s. "
                                    "Responda PRESENTE ese día.") % {
                        "org": upcoming.assembly.organisation.name,
                        "when": date_format(timezone.localtime(upcoming.assembly.starts_at), "d/m/Y H:i")})
                raise Refused(_("No tiene una asamblea tomando asistencia ahora."))
            if len({p.assembly_id for p in places}) > 1:
                raise Refused(_("Tiene varias asambleas hoy. Responda %(options)s.") % {
                    "options": _(" o ").join(f"PRESENTE {p.assembly_id} ({_assembly_name(p.assembly)})"
                                             for p in places)})
            if len(places) > 1:
                raise Refused(_("Este celular figura a nombre de varias personas del padrón (N° %(numbers)s): pida "
                                "a la secretaria que marque su asistencia.")
                              % {"numbers": ", ".join(str(p.number) for p in places)})
            chosen[n] = places[0]
        except Refused as exc:
            results[n] = exc
    if not chosen:
        return results
    marked = services.attend_by_texts(scope=Scope.system(_("asistencia por mensaje de texto")),
                                      electors=list(chosen.values()))
    for (n, place), new in zip(chosen.items(), marked, strict=True):
        if isinstance(new, ValidationError):
            results[n] = Refused(" ".join(new.messages))
            continue
        words = {"name": place.person.given_names.split()[0] if place.person.given_names else "",
                 "assembly": _assembly_name(place.assembly), "n": place.number}
        results[n] = (_("%(name)s, quedó anotada como presente en la asamblea de %(assembly)s (N° %(n)s). Gracias.")
                      if new else
                      _("%(name)s, ya estaba anotada como presente en la asamblea de %(assembly)s (N° %(n)s).")) % words
    return results


def present_by_text(inbound: Inbound, args: list[str]) -> str:
    """One PRESENTE text: `presents_by_text` with one item."""
    result = presents_by_text([(inbound, args)])[0]
    if isinstance(result, Exception):
        raise result
    return result


# --- Dues ------------------------------------------------------------------------------------------

DUES_WORDS = frozenset({"q", "cuota", "cuotas"})
AMOUNT = re.compile(r"^(?:s/\.?|s\.?/)?(\d{1,6}(?:[.,]\d{1,2})?)(?:soles|sol)?$")


def _amount(word: str) -> Decimal | None:
    match = AMOUNT.match(word)
    return Decimal(match.group(1).replace(",", ".")) if match else None


def _decimal_commas(args: list[str], text: str) -> list[str]:
    """Capture splits words at commas; '5,50' soles is one amount: joined again."""
    folded, out = fold(text), list(args)
    for i in range(len(out) - 2, -1, -1):
        if (re.fullmatch(r"(s/\.?)?\d+", out[i]) and out[i + 1].isdigit() and len(out[i + 1]) <= 2
                and f"{out[i]},{out[i + 1]}" in folded):
            out[i:i + 2] = [f"{out[i]}.{out[i + 1]}"]
    return out


def _dues_help() -> str:
    # Read before the socia's organisation (and so her country's document) is known: it names both.
    return _("La tesorera escribe Q, el DNI o documento de la socia (o sus 4 últimas cifras) y el monto: Q 4567 5. "
             "La socia escribe Q y lo que pagó: Q 5.")


def _read_dues_text(inbound: Inbound, args: list[str]) -> tuple[str | None, Decimal, bool]:
    """(DNI digits or None for her own payment, amount, OK at the end) of a payment text, or
    `Refused` saying what is wrong with it."""
    args = _decimal_commas(args, str(inbound.payload.get("text", "")))
    confirm = bool(args) and args[-1] == "ok"
    args = [a for a in (args[:-1] if confirm else args) if a not in ("soles", "sol")]
    if len(args) not in (1, 2):
        raise Refused(_dues_help())
    amount = _amount(args[-1])
    if amount is None:
        raise Refused(_("No entendí el monto «%(word)s». %(help)s") % {"word": args[-1][:12].upper(),
                                                                      "help": _dues_help()})
    if len(args) == 1:
        return None, amount, confirm
    digits = args[0]
    # Up to 11 digits: a Brazilian CPF; Peru's 8 are checked once her organisation is known.
    if not digits.isdigit() or not 4 <= len(digits) <= 11:
        raise Refused(_("No entendí el documento «%(word)s»: escriba el DNI o documento de la socia, o sus 4 últimas "
                        "cifras. %(help)s") % {"word": digits[:12].upper(), "help": _dues_help()})
    return digits, amount, confirm


def dues_by_texts(items: list[tuple[Inbound, list[str]]]) -> list[str | Exception]:
    """Many payment texts at once (a gateway's batch), in the order they arrived: per text her reply,
    or the `Refused` saying why it was not recorded. `Q <DNI> <monto>` from a treasurer's phone
    records a socia's payment, which counts at once; `Q <monto>` from a socia's own phone reports
    her payment, which counts once the treasurer confirms it (or at once, if she is the treasurer).
    `OK` at the end confirms an unusual amount or a second identical payment within minutes.

    The treasuries of the senders, the socias their DNI digits name, the senders' memberships with
    dues and the payments texted lately are read in one query each for the batch; the payments are
    written by `dues.record_payments` in one go, and the standing each reply tells read for all of
    them together."""
    results: list[str | Exception | None] = [None] * len(items)
    read: dict[int, tuple[str | None, Decimal, bool, datetime.date]] = {}
    for n, (inbound, args) in enumerate(items):
        try:
            digits, amount, confirm = _read_dues_text(inbound, args)
            read[n] = (digits, amount, confirm, timezone.localdate(inbound.received_at))
        except Refused as exc:
            results[n] = exc
    if not read:
        return results
    phone = {n: items[n][0].phone for n in read}
    treasuries = dues.treasuries_of_phones((phone[n], day) for n, (_d, _a, _c, day) in read.items())
    socias = [n for n, (digits, *_rest) in read.items() if digits is None]
    people = selectors.people_with_phones(phone[n] for n in socias) if socias else {}
    paying = dues.paying_memberships_many((person.pk, read[n][3]) for n in socias
                                          for person in people.get(phone[n], []))
    # Who pays to whom, or why not.
    payers: dict[int, tuple[Organisation, Person, bool]] = {}
    matching_asks = {}
    for n, (digits, _amount, _confirm, day) in read.items():
        orgs = treasuries[(phone[n], day)]
        try:
            if digits is not None:
                if not orgs:
                    raise Refused(_("Solo la tesorera anota pagos de otras socias, desde su celular. Para avisar de "
                                    "su propio pago escriba Q y el monto: Q 5."))
                if len(orgs) > 1:
                    raise Refused(_("Usted es tesorera de varias organizaciones: anote el pago en la página de Ayni."))
                if orgs[0].country == "PE" and len(digits) > 8:
                    raise Refused(_("No entendí el DNI «%(word)s»: escriba el DNI de la socia o sus 4 últimas cifras. "
                                    "%(help)s") % {"word": digits[:12].upper(), "help": _dues_help()})
                matching_asks[n] = (orgs[0].pk, digits, day)
                continue
            theirs = people.get(phone[n], [])
            if not theirs:
                raise _not_on_any_roll()
            memberships = [m for person in theirs for m in paying[(person.pk, day)]]
            if not memberships:
                raise Refused(_("Sus organizaciones aún no tienen cuota acordada en asamblea."))
            if len({m.organisation_id for m in memberships}) > 1 or len({m.person_id for m in memberships}) > 1:
                raise Refused(_("Su celular está en varias organizaciones con cuota: pague a la tesorera de cada una."))
            organisation = memberships[0].organisation
            payers[n] = (organisation, memberships[0].person, organisation not in orgs)
        except Refused as exc:
            results[n] = exc
    asked_in = {n: treasuries[(phone[n], read[n][3])][0] for n in matching_asks}
    found = dues.socias_matching_many(matching_asks.values(), {org.pk: org for org in asked_in.values()})
    for n, ask in matching_asks.items():
        organisation = asked_in[n]
        matches = found[ask]
        abroad = organisation.country != "PE"
        if not matches and abroad:
            results[n] = Refused(_("No hay socia de %(org)s con %(document)s %(number)s.")
                                 % {"org": organisation.name, "document": document_name(organisation.country),
                                    "number": ask[1]})
        elif not matches:
            results[n] = Refused(_("No hay socia de %(org)s con DNI %(dni)s.") % {"org": organisation.name,
                                                                                  "dni": ask[1]})
        elif len(matches) > 1 and abroad:
            results[n] = Refused(_("Hay varias socias cuyo número de %(document)s termina en %(number)s: escriba el "
                                   "número completo.") % {"document": document_name(organisation.country),
                                                          "number": ask[1]})
        elif len(matches) > 1:
            results[n] = Refused(_("Hay varias socias con DNI terminado en %(dni)s: escriba el DNI completo.")
                                 % {"dni": ask[1]})
        else:
            payers[n] = (organisation, matches[0], False)
    # A text sent again within minutes (the phone or the gateway repeating it) is not a second payment.
    window = datetime.timedelta(minutes=settings.AYNI_SMS_REPEAT_WINDOW_MINUTES)
    earlier = dues.text_payments_since({phone[n] for n in payers if not read[n][2]},
                                       min((items[n][0].received_at for n in payers), default=timezone.now()) - window)
    asked, recorded = [], []
    scope = Scope.system(_("cuota por mensaje de texto"))
    waiting = sorted(payers)
    while waiting:
        # The same payment twice in one batch: the second waits until the first is recorded and is
        # then found a repeat of it; a round per copy, so a batch costs more only when a phone repeats.
        this_round, later, keys = [], [], set()
        for n in waiting:
            organisation, person, reported = payers[n]
            digits, amount, confirm, day = read[n]
            inbound = items[n][0]
            key = (inbound.phone, organisation.pk, person.pk, dues.cents(amount))
            if key in keys:
                later.append(n)
                continue
            keys.add(key)
            if not confirm:
                since = inbound.received_at - window
                same = next((p for p in earlier if (p.phone, p.organisation_id, p.person_id, p.amount_cents) == key
                             and p.created_at >= since), None)
                if same is not None:
                    results[n] = Refused(_("Este pago ya estaba anotado (llegó a las %(time)s); no se registró dos "
                                           "veces. Si de verdad es otro pago igual, envíe el mismo mensaje con OK al "
                                           "final.") % {"time": timezone.localtime(same.created_at).strftime("%H:%M")})
                    continue
            this_round.append((n, dues.Payment(organisation=organisation, person=person, amount=amount, paid_on=day,
                                               confirm=confirm, channel="sms", inbound=inbound, reported=reported)))
        rows = dues.record_payments(scope=scope, payments=[p for _n, p in this_round]) if this_round else []
        for (n, _payment), row in zip(this_round, rows, strict=True):
            asked.append(n)
            recorded.append(row)
            if isinstance(row, DuesPayment):
                row.phone = items[n][0].phone
                earlier.insert(0, row)
        waiting = later
    wanted: dict[datetime.date, dict[int, set[int]]] = {}
    for n, row in zip(asked, recorded, strict=True):
        if isinstance(row, DuesPayment) and row.counts:
            wanted.setdefault(read[n][3], {}).setdefault(row.organisation_id, set()).add(row.person_id)
    # Her standing now, for each reply: read for every payment of the batch together (per day paid).
    standings = {day: dues.standings_in(orgs, day) for day, orgs in wanted.items()}
    for n, row in zip(asked, recorded, strict=True):
        if isinstance(row, NeedsConfirmation):
            results[n] = Refused(" ".join(row.messages) + " " + _("Si está bien, envíe el mismo mensaje con OK al "
                                                                  "final."))
            continue
        if isinstance(row, Exception):
            results[n] = Refused(" ".join(getattr(row, "messages", [str(row)])))
            continue
        organisation, person, reported = payers[n]
        words = {"amount": dues.soles_text(row.amount_cents), "org": organisation.name, "name": person.full_name}
        if reported:
            results[n] = _("Anotamos que pagó %(amount)s de cuota a %(org)s; cuenta cuando la tesorera lo "
                           "confirme.") % words
            continue
        now = standings[read[n][3]].get((organisation.pk, person.pk))
        words["standing"] = dues.describe_behind(now) if now else _("al día")
        results[n] = _("Pago anotado: %(amount)s de %(name)s a %(org)s. Ahora: %(standing)s.") % words
    return results


def dues_by_text(inbound: Inbound, args: list[str]) -> str:
    """One payment text: `dues_by_texts` with one item."""
    result = dues_by_texts([(inbound, args)])[0]
    if isinstance(result, Exception):
        raise result
    return result


def register() -> None:
    commands.register(TextCommand(name="vote", words=VOTE_WORDS, handle=vote_by_text, handle_many=votes_by_text,
                                  prepare_many=prepare_votes, example=EXAMPLE))
    commands.register(TextCommand(name="present", words=PRESENT_WORDS, handle=present_by_text,
                                  handle_many=presents_by_text, example="PRESENTE"))
    commands.register(TextCommand(name="dues", words=DUES_WORDS, handle=dues_by_text, handle_many=dues_by_texts,
                                  example="Q 4567 5"))
