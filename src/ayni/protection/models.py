"""Protection cases (*casos*): violence-prevention referrals and women's land-rights claims.

The least data that lets a defensora accompany a woman. What could name or place her — alias,
real name, notes, the parcel, the people involved, outcomes, documents — is stored only sealed
under the case's own key (`keys.py`), in `*_sealed` binary fields; what stays in the clear is
what the counts need (kind, district, age band, status, dates), and no `__str__` here says more
than a number, so the audit trail's words never carry a case's content.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MasterKey(models.Model):
    """A master key that wraps case keys, known by its id and a sealed check value, so a wrong key
    at start-up is told apart from no case at all. Never the key itself."""

    kid = models.CharField(max_length=16, unique=True)
    proof = models.BinaryField()
    added_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"clave {self.kid}"


class Supervisor(models.Model):
    """The one supervisor (*supervisora*) of a federation's protection cases, named by a platform
    admin among the federation's defensoras."""

    federation = models.OneToOneField("orgs.Organisation", on_delete=models.CASCADE, related_name="+",
                                      verbose_name=_("federación"))
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("supervisora"))
    named_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"supervisión {self.pk}"


class Case(models.Model):
    class Kind(models.TextChoices):
        VIOLENCE = "violence", _("Violencia")
        LAND = "land", _("Tierra y herencia")

    class Problem(models.TextChoices):
        PHYSICAL = "physical", _("Violencia física")
        PSYCHOLOGICAL = "psychological", _("Violencia psicológica")
        SEXUAL = "sexual", _("Violencia sexual")
        ECONOMIC = "economic", _("Violencia económica o patrimonial")
        INHERITANCE = "inheritance", _("Herencia")
        TITLE = "title", _("Título de propiedad")
        DISPOSSESSION = "dispossession", _("Despojo por un familiar")
        COMMUNITY = "community", _("Reconocimiento de la comunidad")

    VIOLENCE_PROBLEMS = (Problem.PHYSICAL, Problem.PSYCHOLOGICAL, Problem.SEXUAL, Problem.ECONOMIC)

    class AgeBand(models.TextChoices):
        UNDER_18 = "u18", _("Menor de 18")
        A18_29 = "18-29", _("18 a 29")
        A30_44 = "30-44", _("30 a 44")
        A45_59 = "45-59", _("45 a 59")
        OVER_60 = "60+", _("60 o más")

    class Risk(models.TextChoices):
        LOW = "low", _("Leve")
        MODERATE = "moderate", _("Moderado")
        SEVERE = "severe", _("Severo")

    class Status(models.TextChoices):
        OPEN = "open", _("Abierto")
        FOLLOWING = "following", _("En seguimiento")
        CLOSED = "closed", _("Cerrado")

    class LandUse(models.TextChoices):
        GARDEN = "garden", _("Biohuerto familiar")
        HOME = "home", _("Vivienda")
        FARM = "farm", _("Chacra")

    class Tenure(models.TextChoices):
        OWNER = "owner", _("Propietaria")
        HEIR = "heir", _("Heredera")
        COMMUNAL = "communal", _("Comunera")
        POSSESSION = "possession", _("Posesionaria")

    organisation = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organización"))
    # The federation whose supervisor reads it: the nearest one above with a supervisor named.
    federation = models.ForeignKey("orgs.Organisation", on_delete=models.PROTECT, related_name="+", null=True,
                                   blank=True)
    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("distrito"))
    defender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("defensora"))
    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices)
    problem = models.CharField(_("problema"), max_length=15, choices=Problem.choices)
    age_band = models.CharField(_("edad"), max_length=5, choices=AgeBand.choices)
    risk = models.CharField(_("riesgo"), max_length=10, choices=Risk.choices, default=Risk.LOW)
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField(_("fecha de inicio"))
    closed_on = models.DateField(_("fecha de cierre"), null=True, blank=True)
    # The month (YYYY-MM) whose end deletes the case and destroys its retention key.
    retain_until = models.CharField(max_length=7, db_index=True)
    land_use = models.CharField(_("uso de la parcela"), max_length=10, choices=LandUse.choices, blank=True)
    tenure = models.CharField(_("tenencia"), max_length=12, choices=Tenure.choices, blank=True)
    alias_sealed = models.BinaryField()
    name_sealed = models.BinaryField(null=True, blank=True)
    notes_sealed = models.BinaryField(null=True, blank=True)
    # Land: the parcel (GeoJSON point or polygon, area), the claim, the people involved.
    parcel_sealed = models.BinaryField(null=True, blank=True)
    claim_sealed = models.BinaryField(null=True, blank=True)
    involved_sealed = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["defender", "status"]), models.Index(fields=["federation", "status"])]

    def __str__(self) -> str:
        return f"Caso N.º {self.pk}"


class CaseKey(models.Model):
    """The case's own key, wrapped; deleting this row and its retention key is crypto-shredding."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="key")
    kid = models.CharField(max_length=16, db_index=True)
    wrapped = models.BinaryField()

    def __str__(self) -> str:
        return f"clave del caso {self.case_id}"


class Service(models.Model):
    """The directory of a district: where to refer a woman (CEM, comisaría, fiscalía…)."""

    class Kind(models.TextChoices):
        CEM = "cem", _("Centro Emergencia Mujer (CEM)")
        POLICE = "police", _("Comisaría")
        PROSECUTOR = "prosecutor", _("Fiscalía")
        HEALTH = "health", _("Puesto o centro de salud")
        LINEA100 = "linea100", _("Línea 100")
        SHELTER = "shelter", _("Casa refugio")
        LEGAL = "legal", _("Defensa legal gratuita")
        REGISTRY = "registry", _("Registros públicos (SUNARP) o COFOPRI")
        COURT = "court", _("Juzgado")

    federation = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE, related_name="+",
                                   verbose_name=_("federación"))
    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("distrito"))
    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("nombre"), max_length=150)
    address = models.CharField(_("dirección"), max_length=200, blank=True)
    phone = models.CharField(_("teléfono"), max_length=30, blank=True)
    hours = models.CharField(_("horario"), max_length=100, blank=True)

    class Meta:
        ordering = ["district_id", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class Referral(models.Model):
    """A derivación: where she was referred, when, how it went."""

    class Status(models.TextChoices):
        SENT = "sent", _("Derivada")
        ATTENDED = "attended", _("Atendida")
        NOT_ATTENDED = "not_attended", _("No fue atendida")
        CLOSED = "closed", _("Concluida")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="referrals")
    kind = models.CharField(_("a dónde"), max_length=10, choices=Service.Kind.choices)
    service = models.ForeignKey(Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("servicio"))
    referred_on = models.DateField(_("fecha"))
    status = models.CharField(_("estado"), max_length=12, choices=Status.choices, default=Status.SENT)
    follow_up_on = models.DateField(_("hacer seguimiento el"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    outcome_sealed = models.BinaryField(null=True, blank=True)
    # What she agrees to carry on the printed sheet.
    carry_sealed = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["referred_on", "pk"]

    def __str__(self) -> str:
        return f"Derivación N.º {self.pk}"


class Step(models.Model):
    """A step of a land claim before the registry, the municipality, the community or a court."""

    class Before(models.TextChoices):
        COMMUNITY = "community", _("Asamblea comunal")
        MUNICIPALITY = "municipality", _("Municipalidad")
        REGISTRY = "registry", _("Registros públicos (SUNARP)")
        COFOPRI = "cofopri", _("COFOPRI")
        NOTARY = "notary", _("Notaría")
        COURT = "court", _("Juzgado")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pendiente")
        FILED = "filed", _("Presentado")
        GRANTED = "granted", _("Favorable")
        DENIED = "denied", _("Denegado")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    before = models.CharField(_("ante"), max_length=12, choices=Before.choices)
    on = models.DateField(_("fecha"))
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices, default=Status.PENDING)
    note_sealed = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["on", "pk"]

    def __str__(self) -> str:
        return f"Trámite N.º {self.pk}"


class CaseFile(models.Model):
    """A document of a case (title, inheritance papers, community certificate), checked on
    arrival and kept only sealed under the case's key, with its SHA-256 sealed beside it."""

    class Label(models.TextChoices):
        TITLE = "title", _("Título")
        INHERITANCE = "inheritance", _("Papeles de herencia")
        CERTIFICATE = "certificate", _("Constancia de la comunidad")
        OTHER = "other", _("Otro documento")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="files")
    label = models.CharField(_("documento"), max_length=12, choices=Label.choices)
    kind = models.CharField(max_length=10)
    size = models.PositiveIntegerField()
    content_sealed = models.BinaryField()
    sha256_sealed = models.BinaryField()
    added_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Documento N.º {self.pk}"


class BreakGlass(models.Model):
    """An admin's emergency access to one case: a written reason (sealed under the case's key,
    as it speaks of the case), until a set time, and the supervisor told."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    admin = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason_sealed = models.BinaryField()
    opened_at = models.DateTimeField(auto_now_add=True)
    until = models.DateTimeField()

    def __str__(self) -> str:
        return f"Acceso de emergencia N.º {self.pk}"


class AccessEntry(models.Model):
    """One read of a case: who, when, which part. Kept after the case is shredded (by its
    number), with nothing of its content."""

    class Part(models.TextChoices):
        LIST = "list", _("Lista")
        CASE = "case", _("Ficha del caso")
        FILE = "file", _("Documento")
        SHEET = "sheet", _("Hoja de derivación")
        PRINT = "print", _("Impresión")

    case_number = models.BigIntegerField(db_index=True)
    federation = models.ForeignKey("orgs.Organisation", on_delete=models.SET_NULL, null=True, related_name="+")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(db_index=True)
    part = models.CharField(max_length=6, choices=Part.choices)
    item = models.BigIntegerField(null=True)  # the file or referral read, by number
    break_glass = models.BooleanField(default=False)
    outside_territory = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["reader", "at"]), models.Index(fields=["federation", "at"])]

    def __str__(self) -> str:
        return f"Lectura N.º {self.pk}"


class Alert(models.Model):
    """Told to a supervisor: a break-glass access, unusual reads, the weekly summary. Numbers
    and names of readers only."""

    class Kind(models.TextChoices):
        BREAK_GLASS = "break_glass", _("Acceso de emergencia")
        UNUSUAL = "unusual", _("Lecturas inusuales")
        SUMMARY = "summary", _("Resumen semanal")

    federation = models.ForeignKey("orgs.Organisation", on_delete=models.CASCADE, related_name="+", null=True,
                                   blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    at = models.DateTimeField()
    text = models.CharField(max_length=300)
    seen = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"Aviso N.º {self.pk}"


class Incident(models.Model):
    """The breach register (Ley 29733 and its 2024 regulation: reported within 48 hours)."""

    what = models.TextField(_("qué pasó"))
    discovered_at = models.DateTimeField(_("descubierto el"))
    whose = models.CharField(_("de quiénes son los datos"), max_length=200)
    affected = models.PositiveIntegerField(_("personas afectadas (aprox.)"), default=0)
    measures = models.TextField(_("medidas tomadas"), blank=True)
    reported_at = models.DateTimeField(_("comunicado a la autoridad el"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-discovered_at"]

    def __str__(self) -> str:
        return f"Incidente N.º {self.pk}"
