"""Governance: the statute's rules as data, assemblies, their electors, attendance, proxies,
motions and votes.

An assembly's roll (`Elector`) is fixed when it is convened: the socias in good standing of a
base organisation, or the delegates its member organisations accredit to a federation's
assembly. Quorum, the right to vote and each vote's weight are read from that roll, never from
the membership tables again, so a membership that ends mid-window does not change a count.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ayni.orgs.models import Organisation, OrgKind
from ayni.people.models import Person


class Quorum(models.TextChoices):
    HALF_PLUS_ONE = "half", _("La mitad más uno")
    TWO_THIRDS = "two_thirds", _("Dos tercios")
    THIRD = "third", _("Un tercio")
    PRESENT = "present", _("Con las presentes")


class Majority(models.TextChoices):
    SIMPLE = "simple", _("Mayoría simple (más a favor que en contra)")
    ABSOLUTE = "absolute", _("Mayoría absoluta (más de la mitad de los votos emitidos)")
    TWO_THIRDS = "two_thirds", _("Dos tercios de los votos emitidos")


class DecisionKind(models.TextChoices):
    ORDINARY = "ordinary", _("Acuerdo ordinario")
    STATUTE = "statute", _("Reforma del estatuto")
    DISSOLUTION = "dissolution", _("Disolución")
    ELECTION = "election", _("Elección de junta directiva")


class DelegateWeight(models.TextChoices):
    EQUAL = "equal", _("Un voto por delegada")
    BY_MEMBERS = "members", _("Según las socias de su organización")


class StatuteRule(models.Model):
    """The rules of an organisation's statute that the software applies (*reglas del estatuto*).

    One row per organisation kind holds the default (migration 0002); an organisation whose
    statute says otherwise has its own row. Exactly one of `kind` and `organisation` is set."""

    kind = models.OneToOneField(OrgKind, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="statute_default")
    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, null=True, blank=True,
                                        related_name="statute_rule")
    notice_days = models.PositiveSmallIntegerField(
        _("días de anticipación de la convocatoria"), default=7,
        help_text=_("La convocatoria se hace al menos estos días antes de la asamblea."))
    quorum_first = models.CharField(_("quórum en primera convocatoria"), max_length=12, choices=Quorum.choices,
                                    default=Quorum.HALF_PLUS_ONE)
    quorum_second = models.CharField(_("quórum en segunda convocatoria"), max_length=12, choices=Quorum.choices,
                                     default=Quorum.PRESENT)
    second_call_minutes = models.PositiveSmallIntegerField(
        _("minutos entre primera y segunda convocatoria"), default=30)
    majority_ordinary = models.CharField(_("mayoría para acuerdos ordinarios"), max_length=12,
                                         choices=Majority.choices, default=Majority.SIMPLE)
    majority_statute = models.CharField(_("mayoría para reformar el estatuto"), max_length=12,
                                        choices=Majority.choices, default=Majority.TWO_THIRDS)
    majority_dissolution = models.CharField(_("mayoría para la disolución"), max_length=12,
                                            choices=Majority.choices, default=Majority.TWO_THIRDS)
    majority_election = models.CharField(_("mayoría para elegir la junta directiva"), max_length=12,
                                         choices=Majority.choices, default=Majority.SIMPLE)
    min_membership_days = models.PositiveSmallIntegerField(
        _("antigüedad mínima para votar (días)"), default=0,
        help_text=_("Vota la socia inscrita al menos estos días antes de la convocatoria."))
    delegates_per_member = models.PositiveSmallIntegerField(
        _("delegadas por organización integrante"), default=2,
        help_text=_("En las asambleas de una federación: cuántas delegadas acredita cada organización."))
    delegate_weight = models.CharField(_("peso del voto de cada delegada"), max_length=8,
                                       choices=DelegateWeight.choices, default=DelegateWeight.EQUAL)
    members_per_vote = models.PositiveSmallIntegerField(
        _("socias por voto"), default=20,
        help_text=_("Con voto según las socias: cada delegada lleva un voto por cada tantas socias de su "
                    "organización (al menos uno)."))
    proxies_allowed = models.BooleanField(_("se admiten cartas poder"), default=True)
    max_proxies = models.PositiveSmallIntegerField(_("cartas poder por persona"), default=1)
    dues_required = models.BooleanField(
        _("para votar hay que estar al día en las cuotas"), default=True,
        help_text=_("Si no, vota toda socia con la antigüedad pedida, deba o no cuotas."))
    dues_tolerance = models.PositiveSmallIntegerField(
        _("cuotas atrasadas que aún permiten votar"), default=0,
        help_text=_("0: solo vota quien no debe ninguna cuota vencida."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reglas del estatuto")
        verbose_name_plural = _("reglas del estatuto")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind__isnull=True, organisation__isnull=False)
                           | models.Q(kind__isnull=False, organisation__isnull=True)),
                name="statute_rule_for_kind_or_organisation",
            ),
            models.CheckConstraint(condition=models.Q(members_per_vote__gte=1), name="statute_members_per_vote"),
            models.CheckConstraint(condition=models.Q(delegates_per_member__gte=1),
                                   name="statute_delegates_per_member"),
        ]

    def __str__(self) -> str:
        return str(self.organisation or self.kind or _("reglas por defecto"))

    def majority_for(self, decision: str) -> str:
        return getattr(self, f"majority_{decision}")


class Assembly(models.Model):
    """An assembly (*asamblea*) of an organisation at any level of the tree."""

    class Kind(models.TextChoices):
        ORDINARY = "ordinary", _("Ordinaria")
        EXTRAORDINARY = "extraordinary", _("Extraordinaria")

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("Presencial")
        ONLINE = "online", _("Virtual")
        HYBRID = "hybrid", _("Mixta (presencial y virtual)")
        ASYNC = "async", _("Consulta de varios días")

    class Status(models.TextChoices):
        CONVENED = "convened", _("Convocada")
        IN_SESSION = "in_session", _("En sesión, con quórum")
        NO_QUORUM = "no_quorum", _("Sin quórum")
        CLOSED = "closed", _("Concluida")

    class Call(models.TextChoices):
        FIRST = "first", _("Primera convocatoria")
        SECOND = "second", _("Segunda convocatoria")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="assemblies")
    kind = models.CharField(_("tipo"), max_length=14, choices=Kind.choices, default=Kind.ORDINARY)
    mode = models.CharField(_("modalidad"), max_length=10, choices=Mode.choices, default=Mode.IN_PERSON)
    starts_at = models.DateTimeField(_("fecha y hora"), help_text=_("En una consulta: cuándo se abre la votación."))
    ends_at = models.DateTimeField(_("cierre de la votación"), null=True, blank=True)
    place = models.CharField(_("lugar"), max_length=200, blank=True)
    link = models.CharField(_("enlace de la reunión virtual"), max_length=300, blank=True)
    # Electors are delegates of member organisations (a federation) rather than its own socias.
    by_delegates = models.BooleanField(default=False, editable=False)
    # The whole electorate's weight when convened: every socia in good standing, or every
    # delegate the member organisations may send (accredited or not), which quorum is a part of.
    electorate_weight = models.PositiveIntegerField(default=0, editable=False)
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.CONVENED)
    quorum_call = models.CharField(_("quórum en"), max_length=6, choices=Call.choices, blank=True)
    quorum_present = models.PositiveIntegerField(_("presentes al verificar el quórum"), null=True, blank=True)
    convened_at = models.DateTimeField(auto_now_add=True)
    convened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("asamblea")
        verbose_name_plural = _("asambleas")
        indexes = [models.Index(fields=["organisation", "starts_at"], name="assembly_org_starts")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(mode="async") | models.Q(ends_at__isnull=False),
                                   name="assembly_async_has_window"),
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=models.F("starts_at")),
                name="assembly_window_order"),
        ]

    def __str__(self) -> str:
        return _("Asamblea %(kind)s de %(org)s, %(on)s") % {
            "kind": self.get_kind_display().lower(), "org": self.organisation.name,
            "on": timezone.localtime(self.starts_at).strftime("%d/%m/%Y")}

    @property
    def is_async(self) -> bool:
        return self.mode == self.Mode.ASYNC


class AgendaItem(models.Model):
    """A point of the agenda (*punto de agenda*), announced in the convocation."""

    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="agenda")
    number = models.PositiveSmallIntegerField(_("número"))
    title = models.CharField(_("punto"), max_length=200)

    class Meta:
        ordering = ["assembly", "number"]
        verbose_name = _("punto de agenda")
        verbose_name_plural = _("puntos de agenda")
        constraints = [models.UniqueConstraint(fields=["assembly", "number"], name="agenda_number_once")]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class Elector(models.Model):
    """A person on an assembly's roll (*padrón electoral de la asamblea*), with her number on the
    printed list and the weight of her vote (1, or more for a delegate under weighted votes)."""

    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="electors")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("número"))
    weight = models.PositiveSmallIntegerField(_("votos"), default=1)
    # For a delegate: the member organisation she represents.
    delegate_of = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("delegada de"))

    class Meta:
        ordering = ["assembly", "number"]
        verbose_name = _("electora")
        verbose_name_plural = _("electoras")
        constraints = [
            models.UniqueConstraint(fields=["assembly", "person"], name="elector_once"),
            models.UniqueConstraint(fields=["assembly", "number"], name="elector_number_once"),
            models.CheckConstraint(condition=models.Q(weight__gte=1), name="elector_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.person}"


class Attendance(models.Model):
    """An elector is present (*asistencia*), and how it was taken."""

    class How(models.TextChoices):
        TAP = "tap", _("Marcada en la lista")
        NUMBER = "number", _("Por su número")
        PAPER = "paper", _("Lista en papel")
        VOTE = "vote", _("Votó en la consulta")
        TEXT = "text", _("Respondió PRESENTE por mensaje")

    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="attendance")
    elector = models.OneToOneField(Elector, on_delete=models.CASCADE, related_name="attendance")
    how = models.CharField(_("cómo"), max_length=8, choices=How.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("asistencia")
        verbose_name_plural = _("asistencias")
        indexes = [models.Index(fields=["assembly"], name="attendance_assembly")]

    def __str__(self) -> str:
        return str(self.elector)


class Proxy(models.Model):
    """A proxy (*carta poder*): an absent elector's vote carried by another elector."""

    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="proxies")
    giver = models.OneToOneField(Elector, on_delete=models.CASCADE, related_name="proxy_given",
                                 verbose_name=_("quien otorga"))
    holder = models.ForeignKey(Elector, on_delete=models.CASCADE, related_name="proxies_held",
                               verbose_name=_("quien la lleva"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("carta poder")
        verbose_name_plural = _("cartas poder")
        constraints = [models.CheckConstraint(condition=~models.Q(giver=models.F("holder")),
                                              name="proxy_not_to_herself")]

    def __str__(self) -> str:
        return f"{self.giver} → {self.holder}"


class Motion(models.Model):
    """A motion put to the vote (*moción*) under an agenda item. Its number (the primary key) is
    what a member types in a text message (`V 12 SI`). The tally is kept by the vote service in
    the same transaction as each vote and checked against a recount by `ayni check-integrity`."""

    class Ballot(models.TextChoices):
        OPEN = "open", _("Votación nominal (abierta)")
        SECRET = "secret", _("Votación secreta")
        HANDS = "hands", _("A mano alzada (conteo de la secretaria)")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Por votar")
        OPEN = "open", _("En votación")
        CLOSED = "closed", _("Votación cerrada")

    class Outcome(models.TextChoices):
        ADOPTED = "adopted", _("Aprobada")
        REJECTED = "rejected", _("Rechazada")
        TIE = "tie", _("Empate")
        NO_QUORUM = "no_quorum", _("Sin quórum: no se adopta")

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="motions")
    text = models.CharField(_("moción"), max_length=300)
    decision = models.CharField(_("tipo de decisión"), max_length=12, choices=DecisionKind.choices,
                                default=DecisionKind.ORDINARY)
    ballot = models.CharField(_("forma de votación"), max_length=6, choices=Ballot.choices, default=Ballot.OPEN)
    status = models.CharField(_("estado"), max_length=6, choices=Status.choices, default=Status.DRAFT)
    yes = models.PositiveIntegerField(_("a favor"), default=0)
    no = models.PositiveIntegerField(_("en contra"), default=0)
    abstain = models.PositiveIntegerField(_("abstenciones"), default=0)
    voters = models.PositiveIntegerField(_("votantes"), default=0)
    majority = models.CharField(_("mayoría aplicada"), max_length=12, choices=Majority.choices, blank=True)
    outcome = models.CharField(_("resultado"), max_length=10, choices=Outcome.choices, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item__number", "id"]
        verbose_name = _("moción")
        verbose_name_plural = _("mociones")

    def __str__(self) -> str:
        return _("Moción %(n)s: %(text)s") % {"n": self.pk, "text": self.text}


class Choice(models.TextChoices):
    YES = "yes", _("A favor")
    NO = "no", _("En contra")
    ABSTAIN = "abstain", _("Abstención")


class Participation(models.Model):
    """That an elector voted on a motion — never how. Counts each person once, tells her she
    already voted, and is all a secret ballot keeps about who took part."""

    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="participations")
    elector = models.ForeignKey(Elector, on_delete=models.CASCADE, related_name="participations")
    voted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participación")
        verbose_name_plural = _("participaciones")
        constraints = [models.UniqueConstraint(fields=["motion", "elector"], name="participation_once")]

    def __str__(self) -> str:
        return _("%(elector)s votó en la moción %(n)s") % {"elector": self.elector, "n": self.motion_id}


class Vote(models.Model):
    """One ballot. A changed vote adds a ballot and marks the earlier one no longer current: both
    stay. In a secret ballot the row names nobody: no elector, no time, a random key, and
    `voter_key` — a keyed hash of the motion and the elector that lets the service find her
    earlier ballot and that nobody can turn back into a name without the server's secret."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="votes")
    elector = models.ForeignKey(Elector, on_delete=models.CASCADE, null=True, blank=True, related_name="votes")
    voter_key = models.CharField(max_length=64)
    sequence = models.PositiveSmallIntegerField(default=1)
    choice = models.CharField(_("voto"), max_length=8, choices=Choice.choices)
    weight = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    channel = models.CharField(_("canal"), max_length=8, default="web")
    cast_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("voto")
        verbose_name_plural = _("votos")
        constraints = [
            models.UniqueConstraint(fields=["motion", "voter_key", "sequence"], name="vote_sequence_once"),
            models.UniqueConstraint(fields=["motion", "voter_key"], condition=models.Q(is_current=True),
                                    name="vote_one_current"),
        ]
        # The recount of a motion (`integrity.recount`, the national tally) reads only this index:
        # current ballots in (motion, choice) order, so SUM(weight) GROUP BY needs neither the table
        # nor a sort. `is_current` is in it, though always true there, for SQLite to see it covers the
        # query's WHERE (at 330,000 ballots: 180 → 21 ms of CPU on SQLite).
        indexes = [models.Index(fields=["motion", "choice", "weight", "is_current"], name="vote_tally",
                                condition=models.Q(is_current=True))]


class HandCount(models.Model):
    """A show-of-hands count entered by the secretary. Entered again, the later count stands and
    the earlier stays (`is_current`)."""

    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="hand_counts")
    yes = models.PositiveIntegerField(_("a favor"))
    no = models.PositiveIntegerField(_("en contra"))
    abstain = models.PositiveIntegerField(_("abstenciones"), default=0)
    is_current = models.BooleanField(default=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("conteo a mano alzada")
        verbose_name_plural = _("conteos a mano alzada")
        constraints = [models.UniqueConstraint(fields=["motion"], condition=models.Q(is_current=True),
                                               name="hand_count_one_current")]


class Agreement(models.Model):
    """An agreement (*acuerdo*) adopted by an assembly: what, who answers for it, by when. Open
    ones come back on the next assembly's agenda, and the person responsible gets a reminder
    before the deadline."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pendiente")
        DONE = "done", _("Cumplido")
        DROPPED = "dropped", _("Dejado sin efecto")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="agreements")
    motion = models.OneToOneField(Motion, on_delete=models.PROTECT, related_name="agreement")
    text = models.CharField(_("acuerdo"), max_length=300)
    responsible = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("responsable"))
    deadline = models.DateField(_("plazo"))
    status = models.CharField(_("estado"), max_length=8, choices=Status.choices, default=Status.PENDING)
    involves_authority = models.BooleanField(_("compromete a una autoridad"), default=False)
    authority = models.CharField(_("autoridad"), max_length=160, blank=True)
    done_on = models.DateField(_("cumplido el"), null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("acuerdo")
        verbose_name_plural = _("acuerdos")
        indexes = [models.Index(fields=["organisation", "status", "deadline"], name="agreement_org_status")]
        constraints = [
            models.CheckConstraint(condition=models.Q(status="done", done_on__isnull=False)
                                   | (~models.Q(status="done") & models.Q(done_on__isnull=True)),
                                   name="agreement_done_on_when_done"),
            models.CheckConstraint(condition=models.Q(involves_authority=False) | ~models.Q(authority=""),
                                   name="agreement_names_its_authority"),
        ]

    def __str__(self) -> str:
        return self.text


class Acta(models.Model):
    """The minutes of an assembly (*acta*), as the libro de actas keeps them.

    A draft is written by the secretary (the debate of each point, observations) over the
    assembly's own records. On approval it takes the next correlative number of its
    organisation and is frozen: `content` is the canonical JSON of everything printed on it, and
    `sha256` its hash, printed on the PDF. An approved acta is never edited; a mistake is
    corrected by a later acta that names it in `corrects`."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Borrador")
        APPROVED = "approved", _("Aprobada")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="actas")
    assembly = models.OneToOneField(Assembly, on_delete=models.PROTECT, related_name="acta")
    number = models.PositiveIntegerField(_("acta N.º"), null=True, blank=True)
    status = models.CharField(_("estado"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    observations = models.TextField(_("otras constancias"), blank=True, max_length=4000)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrected_by",
                                 verbose_name=_("corrige el acta"))
    correction = models.TextField(_("qué se corrige"), blank=True, max_length=2000)
    content = models.TextField(blank=True, editable=False)
    sha256 = models.CharField(max_length=64, blank=True, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation", "number", "pk"]
        verbose_name = _("acta")
        verbose_name_plural = _("actas")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="acta_number_once"),
            models.CheckConstraint(
                condition=(models.Q(status="draft", number__isnull=True, sha256="")
                           | models.Q(status="approved", number__isnull=False, number__gte=1)
                           & ~models.Q(sha256="") & ~models.Q(content="")),
                name="acta_numbered_and_hashed_when_approved"),
        ]

    def __str__(self) -> str:
        if self.number:
            return _("Acta N.º %(n)s de %(org)s") % {"n": self.number, "org": self.organisation}
        return _("Borrador de acta de %(org)s") % {"org": self.organisation}

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def sha256_spaced(self) -> str:
        """The hash in groups of eight, to read aloud or compare by eye (and to wrap on a phone)."""
        return " ".join(self.sha256[i:i + 8] for i in range(0, len(self.sha256), 8))


class DebateSummary(models.Model):
    """What was said on an agenda item, as the secretary writes it for the acta."""

    item = models.OneToOneField(AgendaItem, on_delete=models.CASCADE, related_name="debate")
    text = models.TextField(_("resumen del debate"), max_length=6000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("resumen del debate")
        verbose_name_plural = _("resúmenes del debate")


class SignedPage(models.Model):
    """A photo or scan of signed paper: the attendance list signed at the door, or the signed
    pages of the acta. The bytes are a kept file (`files.StoredFile`, hashed on arrival); for an
    attendance list, `numbers` are the roll numbers the secretary read off it."""

    class Kind(models.TextChoices):
        ATTENDANCE = "attendance", _("Lista de asistencia firmada")
        ACTA = "acta", _("Páginas firmadas del acta")

    assembly = models.ForeignKey(Assembly, on_delete=models.CASCADE, related_name="signed_pages")
    kind = models.CharField(_("qué es"), max_length=10, choices=Kind.choices)
    file = models.ForeignKey("files.StoredFile", on_delete=models.PROTECT, related_name="+")
    numbers = models.JSONField(default=list, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("página firmada")
        verbose_name_plural = _("páginas firmadas")


class BallotNotice(models.Model):
    """That a consultation's ballot — its motions with their numbers and how to answer (`V 12 SI`)
    — went out by text to everyone on its roll, once, when its window opened."""

    assembly = models.OneToOneField(Assembly, on_delete=models.CASCADE, related_name="ballot_notice")
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("aviso de votación por mensaje")
        verbose_name_plural = _("avisos de votación por mensaje")


# --- Dues (*cuotas*) ------------------------------------------------------------------------------
# Money in whole céntimos: sums and comparisons are exact on every database.

class DuesRule(models.Model):
    """Dues an assembly agreed (*cuota*): an amount per month or per year, from the first day of a
    month until the next rule of the organisation starts. Set only from an adopted motion."""

    class Period(models.TextChoices):
        MONTHLY = "monthly", _("Mensual")
        YEARLY = "yearly", _("Anual")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="dues_rules")
    amount_cents = models.PositiveIntegerField(_("monto (céntimos)"))
    period = models.CharField(_("periodo"), max_length=8, choices=Period.choices, default=Period.MONTHLY)
    starts_on = models.DateField(_("desde"))
    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="+", verbose_name=_("acuerdo"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "starts_on"]
        verbose_name = _("cuota acordada")
        verbose_name_plural = _("cuotas acordadas")
        constraints = [models.UniqueConstraint(fields=["organisation", "starts_on"], name="dues_rule_once_a_month")]

    def __str__(self) -> str:
        return f"S/ {self.amount_cents / 100:.2f} {self.get_period_display().lower()}"


class DuesExemption(models.Model):
    """A socia excused from dues for some months (*exoneración*), voted in assembly: a widow's
    year, an illness. `until_month` empty: until the assembly lifts it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("socia"))
    from_month = models.DateField(_("desde el mes"))
    until_month = models.DateField(_("hasta el mes"), null=True, blank=True)
    reason = models.CharField(_("motivo"), max_length=160)
    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="+", verbose_name=_("acuerdo"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation", "from_month"]
        verbose_name = _("exoneración de cuotas")
        verbose_name_plural = _("exoneraciones de cuotas")
        indexes = [models.Index(fields=["organisation", "person"], name="dues_exemption_person")]
        constraints = [models.CheckConstraint(
            condition=models.Q(until_month__isnull=True) | models.Q(until_month__gte=models.F("from_month")),
            name="dues_exemption_order")]


class DuesPayment(models.Model):
    """A payment of dues by a socia. Recorded by the treasurer (web, or a text from her phone), it
    counts at once; reported by the socia herself by text (`Q 5`), it counts once the treasurer
    confirms it. A mistaken one is annulled, never deleted."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="dues_payments")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("socia"))
    amount_cents = models.PositiveIntegerField(_("monto (céntimos)"))
    paid_on = models.DateField(_("fecha de pago"))
    channel = models.CharField(_("canal"), max_length=8, default="web")
    # The text it came from: a text is applied once, so one payment per text.
    inbound = models.OneToOneField("capture.Inbound", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    annulled_at = models.DateTimeField(null=True, blank=True)
    annulled_reason = models.CharField(_("motivo de la anulación"), max_length=160, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-pk"]
        verbose_name = _("pago de cuota")
        verbose_name_plural = _("pagos de cuotas")
        indexes = [models.Index(fields=["organisation", "person"], name="dues_payment_person")]
        constraints = [models.CheckConstraint(condition=models.Q(amount_cents__gte=1), name="dues_payment_positive")]

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_cents) / 100

    @property
    def counts(self) -> bool:
        return self.confirmed_at is not None and self.annulled_at is None


class DuesMonth(models.Model):
    """Dues collected by one organisation in one month: the sum of its payments that count, moved
    by each one in its own transaction. A federation's collection is a prefix query on its
    members' paths over this small table, as the kitchens' money rolls up from their monthly
    summaries; `ayni check-integrity` recounts it from the payments."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    collected_cents = models.BigIntegerField(default=0)
    payments = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "month"], name="dues_month_once")]


# --- Board elections -------------------------------------------------------------------------------

class Election(models.Model):
    """A board election (*elección de junta directiva*) held in an assembly: its electoral
    committee, the lists that run (*planchas*), and one motion of kind «board election» per list,
    voted as any motion. Decided, the winning list becomes the board's positions for the term."""

    class Status(models.TextChoices):
        REGISTERING = "registering", _("Inscripción de listas")
        VOTING = "voting", _("En votación")
        DECIDED = "decided", _("Junta elegida")
        VOID = "void", _("Sin lista elegida")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="elections")
    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("punto de agenda"))
    term_starts = models.DateField(_("inicio del periodo"))
    term_ends = models.DateField(_("fin del periodo"))
    status = models.CharField(_("estado"), max_length=12, choices=Status.choices, default=Status.REGISTERING)
    winner = models.ForeignKey("Slate", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-term_starts", "-pk"]
        verbose_name = _("elección de junta directiva")
        verbose_name_plural = _("elecciones de junta directiva")
        constraints = [models.CheckConstraint(condition=models.Q(term_ends__gt=models.F("term_starts")),
                                              name="election_term_order")]

    def __str__(self) -> str:
        return _("Elección de junta directiva %(from)s–%(to)s") % {"from": self.term_starts.year,
                                                                   "to": self.term_ends.year}


class CommitteeMember(models.Model):
    """A member of the electoral committee (*comité electoral*): she may not run."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="committee")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("cargo en el comité"), max_length=40)

    class Meta:
        verbose_name = _("miembro del comité electoral")
        verbose_name_plural = _("comité electoral")
        constraints = [models.UniqueConstraint(fields=["election", "person"], name="committee_member_once")]


class Slate(models.Model):
    """A list of candidates (*plancha*), one per board position; voted through its own motion."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="slates")
    number = models.PositiveSmallIntegerField(_("número"))
    name = models.CharField(_("nombre de la lista"), max_length=80)
    motion = models.OneToOneField(Motion, on_delete=models.PROTECT, null=True, blank=True, related_name="slate")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["election", "number"]
        verbose_name = _("lista (plancha)")
        verbose_name_plural = _("listas (planchas)")
        constraints = [models.UniqueConstraint(fields=["election", "number"], name="slate_number_once")]

    def __str__(self) -> str:
        return _("Lista %(n)s «%(name)s»") % {"n": self.number, "name": self.name}


class Candidate(models.Model):
    slate = models.ForeignKey(Slate, on_delete=models.CASCADE, related_name="candidates")
    kind = models.ForeignKey("people.PositionKind", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("cargo"))
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["slate", "kind__order", "pk"]
        verbose_name = _("candidata")
        verbose_name_plural = _("candidatas")
        constraints = [models.UniqueConstraint(fields=["slate", "person"], name="candidate_once_per_slate")]
