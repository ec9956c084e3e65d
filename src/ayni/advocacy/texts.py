"""Advocacy by text message, from a basic phone in the field.

`K 34 AVANCE ya entregaron la mitad de las cocinas` records a follow-up of commitment 34: the
word after the number is the stage (AVANCE, PARCIAL, CUMPLIDO, INCUMPLIDO) or NOTA for a note in
the same stage, and the rest is the note, as she typed it. Only someone of the organisation the
commitment was made to (an account that may edit it, or a current board member of it or of one
above it, by her registered phone) may; for anyone else the commitment does not exist — the
same reply as a number nobody used.

`CAL 3 4 3 5 4` rates round 3 of the community score card for the sender's kitchen: timeliness,
quantity, quality, treatment, 1 to 5 each.
"""

import re

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ayni.accounts.scope import Can, Scope
from ayni.advocacy import services
from ayni.advocacy.models import SCORE_FIELDS, Commitment, ScoreRound, StageChange
from ayni.capture.commands import Refused, TextCommand
from ayni.capture.messages import identify
from ayni.lib.phone import normalize_phone
from ayni.people.models import Position

STAGE_WORDS = {
    "avance": Commitment.Stage.IN_PROGRESS,
    "avanza": Commitment.Stage.IN_PROGRESS,
    "progreso": Commitment.Stage.IN_PROGRESS,
    "parcial": Commitment.Stage.PARTLY,
    "parte": Commitment.Stage.PARTLY,
    "cumplido": Commitment.Stage.FULFILLED,
    "cumplio": Commitment.Stage.FULFILLED,
    "incumplido": Commitment.Stage.NOT_FULFILLED,
    "incumplio": Commitment.Stage.NOT_FULFILLED,
    "nocumplio": Commitment.Stage.NOT_FULFILLED,
    "registrado": Commitment.Stage.REGISTERED,
}
NOTE_WORDS = {"nota", "seguimiento", "sigue"}
_NOTE = re.compile(r"^\s*[^\s\d]+\s*\d+\s+\S+\s*(.*)$", re.S)


def _usage() -> str:
    return _(
        "Escriba K, el número del compromiso, AVANCE, PARCIAL, CUMPLIDO, INCUMPLIDO o NOTA, y su nota. "
        "Ejemplo: K 34 AVANCE entregaron a 5 comedores"
    )


def _sender_commitment(inbound, number: int) -> tuple[Scope, Commitment]:
    """The commitment, found only among those of the sender's organisations, and the scope she
    acts under; anyone else is told it does not exist, as for a number nobody used."""
    missing = Refused(_("No hay un compromiso N° %(n)s de su organización.") % {"n": number})
    try:
        phone = normalize_phone(inbound.sender)
    except ValidationError:
        phone = ""
    if not phone:
        raise missing
    user = get_user_model().objects.filter(phone=phone, is_active=True).first()
    if user is not None:
        scope = Scope.for_user(user)
        commitment = (
            Commitment.objects.filter(scope.q(Can.EDIT, prefix="organisation__"))
            .select_related("organisation")
            .filter(pk=number)
            .first()
        )
        if commitment is None:
            raise missing
        inbound.user = user
        return scope, commitment
    commitment = Commitment.objects.select_related("organisation").filter(pk=number).first()
    boards = (
        Position.objects.current()
        .filter(person__phone=phone)
        .select_related("organisation")
        .order_by("organisation__depth")
    )
    board = next(
        (p for p in boards if commitment is not None and commitment.organisation.path.startswith(p.organisation.path)),
        None,
    )
    if board is None:
        raise missing
    # Without an account she acts through her board position: the system writes for her, saying so.
    return Scope.system(
        _("mensaje de texto del %(phone)s, celular de la directiva de %(org)s")
        % {"phone": inbound.sender, "org": board.organisation.name}
    ), commitment


def follow_up_by_text(inbound, args: list[str]) -> str:
    if len(args) < 2 or not args[0].isdigit():
        raise Refused(_usage())
    number, word = int(args[0]), args[1]
    scope, commitment = _sender_commitment(inbound, number)
    done = StageChange.objects.filter(by_text=inbound.pk).first()
    if done is None:  # a replay of a text already applied records nothing twice
        if word in NOTE_WORDS:
            stage = commitment.stage
        elif word in STAGE_WORDS:
            stage = STAGE_WORDS[word]
        else:
            raise Refused(_usage())
        match = _NOTE.match(str(inbound.payload.get("text", "")))
        note = match.group(1).strip() if match else ""
        services.change_stage(scope=scope, commitment=commitment, stage=stage, note=note, by_text=inbound.pk)
        commitment.refresh_from_db(fields=["stage", "overdue"])
    return _("Compromiso N° %(n)s: %(stage)s. Anotado, gracias.") % {
        "n": number,
        "stage": commitment.get_stage_display(),
    }


def rate_by_text(inbound, args: list[str]) -> str:
    usage = _(
        "Escriba CAL, el número de la ronda y cuatro notas de 1 a 5 (puntualidad, cantidad, calidad, trato). "
        "Ejemplo: CAL 3 4 3 5 4"
    )
    if len(args) != 5 or not all(a.isdigit() for a in args):
        raise Refused(usage)
    actor, kitchen, error = identify(inbound.sender)
    if error:
        raise Refused(error)
    inbound.user, inbound.kitchen = actor, kitchen
    scope = inbound.acting_scope()
    score_round = (
        ScoreRound.objects.filter(pk=int(args[0]), organisation__path__in=kitchen.ancestor_paths() + [kitchen.path])
        .select_related("organisation")
        .first()
    )
    if score_round is None:
        raise Refused(_("No hay una ronda de calificación N° %(n)s para su cocina.") % {"n": args[0]})
    scores = dict(zip(SCORE_FIELDS, (int(a) for a in args[1:]), strict=True))
    services.rate(scope=scope, score_round=score_round, kitchen=kitchen, **scores)
    return _("Calificación de %(kitchen)s anotada para «%(service)s». Gracias.") % {
        "kitchen": kitchen.name,
        "service": score_round.service,
    }


FOLLOW_UP = TextCommand(
    name="advocacy.follow_up",
    words=frozenset({"k", "compromiso", "seguimiento"}),
    handle=follow_up_by_text,
    example="K 34 AVANCE",
)
RATING = TextCommand(
    name="advocacy.rating",
    words=frozenset({"cal", "califico", "calificacion"}),
    handle=rate_by_text,
    example="CAL 3 4 3 5 4",
)
