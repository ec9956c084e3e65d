"""Economy: savings groups (*banquitos*, communal banks) and their ledger, the end-of-cycle
share-out, women's ventures, gardens that feed the kitchens, and family-farm producers.

Money is whole céntimos (`BigIntegerField`), never a float. The ledger (`Entry`) is written once
and never changed: a mistake is corrected by a reversing entry, and every balance — a member's
savings, a loan outstanding, the cash in the box — is derived from the entries
(`economy/ledger.py`), never typed."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from ayni.orgs.models import Organisation
from ayni.people.models import Person


class InterestMethod(models.TextChoices):
    FLAT = "flat", _("Fijo sobre el monto prestado, por mes")
    DECLINING = "declining", _("Sobre el saldo que se debe, por mes")


class SavingsGroup(models.Model):
    """A savings-and-credit group (*banquito*, banco comunal) kept by an organisation: the
    organisation itself or a committee of it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="savings_groups",
                                     verbose_name=_("organización"))
    name = models.CharField(_("nombre"), max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("banquito")
        verbose_name_plural = _("banquitos")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Cycle(models.Model):
    """A cycle (*ciclo*) of a group, usually 9 to 12 months, with the group's rules for it as
    data: they are fixed for the cycle so that the share-out reads the rules the members saved
    under."""

    class Status(models.TextChoices):
        OPEN = "open", _("Abierto")
        CLOSED = "closed", _("Cerrado con reparto")

    group = models.ForeignKey(SavingsGroup, on_delete=models.CASCADE, related_name="cycles")
    number = models.PositiveSmallIntegerField(_("número"))
    starts_on = models.DateField(_("inicio"))
    ends_on = models.DateField(_("fin previsto"))
    status = models.CharField(_("estado"), max_length=8, choices=Status.choices, default=Status.OPEN)
    share_value = models.PositiveIntegerField(_("valor de la acción (céntimos)"), default=1000)
    shares_min = models.PositiveSmallIntegerField(_("acciones mínimas por reunión"), default=1)
    shares_max = models.PositiveSmallIntegerField(_("acciones máximas por reunión"), default=5)
    interest_rate = models.DecimalField(_("interés mensual (%)"), max_digits=5, decimal_places=2, default=5)
    interest_method = models.CharField(_("cómo se cobra el interés"), max_length=10, choices=InterestMethod.choices,
                                       default=InterestMethod.FLAT)
    loan_multiple = models.DecimalField(_("préstamo máximo (veces lo ahorrado)"), max_digits=4, decimal_places=1,
                                        default=3)
    max_term_months = models.PositiveSmallIntegerField(_("plazo máximo (meses)"), default=3)
    late_fine = models.PositiveIntegerField(_("multa por tardanza (céntimos)"), default=100)
    absence_fine = models.PositiveIntegerField(_("multa por inasistencia (céntimos)"), default=200)
    social_fund = models.PositiveIntegerField(_("aporte al fondo social por reunión (céntimos)"), default=100)
    lend_in_arrears = models.BooleanField(_("se presta a socias atrasadas"), default=False)
    closed_at = models.DateTimeField(null=True, blank=True)

    RULE_FIELDS = ("share_value", "shares_min", "shares_max", "interest_rate", "interest_method", "loan_multiple",
                   "max_term_months", "late_fine", "absence_fine", "social_fund", "lend_in_arrears")

    class Meta:
        verbose_name = _("ciclo")
        verbose_name_plural = _("ciclos")
        ordering = ["group", "number"]
        constraints = [
            models.UniqueConstraint(fields=["group", "number"], name="economy_cycle_number"),
            models.UniqueConstraint(fields=["group"], condition=models.Q(status="open"),
                                    name="economy_one_open_cycle"),
            models.CheckConstraint(condition=models.Q(shares_min__lte=models.F("shares_max")),
                                   name="economy_cycle_shares_range"),
        ]

    def __str__(self) -> str:
        return _("Ciclo %(n)s") % {"n": self.number}

    def clean(self):
        if self.shares_min > self.shares_max:
            raise ValidationError({"shares_max": _("El máximo de acciones no puede ser menor que el mínimo.")})
        if self.ends_on and self.starts_on and self.ends_on <= self.starts_on:
            raise ValidationError({"ends_on": _("El ciclo termina después de empezar.")})
        if self.share_value < 1:
            raise ValidationError({"share_value": _("La acción vale al menos un céntimo.")})


class GroupMember(models.Model):
    """A socia of a savings group."""

    group = models.ForeignKey(SavingsGroup, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="savings_memberships")
    joined_on = models.DateField(_("desde"))
    left_on = models.DateField(_("hasta"), null=True, blank=True)

    class Meta:
        verbose_name = _("socia del banquito")
        verbose_name_plural = _("socias del banquito")
        constraints = [models.UniqueConstraint(fields=["group", "person"], name="economy_member_once")]

    def __str__(self) -> str:
        return str(self.person)


class Meeting(models.Model):
    """A meeting (*reunión*) of a cycle, where shares are bought, loans given and repaid, and the
    box is counted. The count is recorded beside what the books say, never adjusted."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="meetings")
    on = models.DateField(_("fecha"))
    box_counted = models.BigIntegerField(_("caja contada (céntimos)"), null=True, blank=True)
    box_expected = models.BigIntegerField(_("caja según los libros (céntimos)"), null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reunión")
        verbose_name_plural = _("reuniones")
        ordering = ["cycle", "on"]
        constraints = [models.UniqueConstraint(fields=["cycle", "on"], name="economy_meeting_day")]

    def __str__(self) -> str:
        return str(self.on)

    @property
    def box_difference(self) -> int | None:
        if self.box_counted is None or self.box_expected is None:
            return None
        return self.box_counted - self.box_expected


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(GroupMember, on_delete=models.CASCADE, related_name="+")
    present = models.BooleanField(default=True)
    late = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="economy_attendance_once")]


class Loan(models.Model):
    """A loan (*préstamo*) from the group's fund; what is owed is derived from its entries."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="loans")
    member = models.ForeignKey(GroupMember, on_delete=models.PROTECT, related_name="loans")
    disbursed_on = models.DateField(_("fecha del desembolso"))
    principal = models.BigIntegerField(_("monto (céntimos)"))
    term_months = models.PositiveSmallIntegerField(_("plazo (meses)"))
    interest_rate = models.DecimalField(_("interés mensual (%)"), max_digits=5, decimal_places=2)
    interest_method = models.CharField(max_length=10, choices=InterestMethod.choices)

    class Meta:
        verbose_name = _("préstamo")
        verbose_name_plural = _("préstamos")
        constraints = [models.CheckConstraint(condition=models.Q(principal__gt=0), name="economy_loan_positive")]


class EntryKind(models.TextChoices):
    SHARES = "shares", _("Compra de acciones")
    SOCIAL = "social", _("Aporte al fondo social")
    FINE = "fine", _("Multa")
    REPAYMENT = "repayment", _("Pago de préstamo (capital)")
    INTEREST = "interest", _("Pago de interés")
    LOAN = "loan", _("Desembolso de préstamo")
    WITHDRAWAL = "withdrawal", _("Retiro de ahorro")
    SOCIAL_PAYOUT = "social_out", _("Ayuda del fondo social")
    SHARE_OUT = "share_out", _("Pago del reparto")


# Money into the box, and out of it. Every kind is in exactly one of the two.
CASH_IN = frozenset({EntryKind.SHARES, EntryKind.SOCIAL, EntryKind.FINE, EntryKind.REPAYMENT, EntryKind.INTEREST})
CASH_OUT = frozenset({EntryKind.LOAN, EntryKind.WITHDRAWAL, EntryKind.SOCIAL_PAYOUT, EntryKind.SHARE_OUT})


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("ledger entries are never changed: write a reversing entry")

    def delete(self):
        raise TypeError("ledger entries are never deleted: write a reversing entry")


class Entry(models.Model):
    """One line of the group's ledger (*libro de caja*), written once.

    `amount` is in céntimos, positive for a movement and negative for the reversal of one, whose
    `reverses` names it; `shares` likewise for shares bought or withdrawn. The cash effect is
    `+amount` for the kinds in CASH_IN and `-amount` for those in CASH_OUT. `client_id` makes a
    resend from a phone (the outbox, a text) the same entry, never a second."""

    class Channel(models.TextChoices):
        WEB = "web", _("Página")
        OUTBOX = "outbox", _("Celular sin conexión")
        SMS = "sms", _("Mensaje de texto")
        SYSTEM = "system", _("Sistema")

    group = models.ForeignKey(SavingsGroup, on_delete=models.PROTECT, related_name="entries")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="entries")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    member = models.ForeignKey(GroupMember, on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, null=True, blank=True, related_name="entries")
    share_out = models.ForeignKey("ShareOut", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="entries")
    kind = models.CharField(_("tipo"), max_length=10, choices=EntryKind.choices)
    amount = models.BigIntegerField(_("monto (céntimos)"))
    shares = models.IntegerField(_("acciones"), default=0)
    on = models.DateField(_("fecha"))
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by")
    note = models.CharField(_("nota"), max_length=200, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    client_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("movimiento del banquito")
        verbose_name_plural = _("movimientos del banquito")
        ordering = ["cycle", "on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["group", "client_id"], condition=~models.Q(client_id=""),
                                    name="economy_entry_client_id"),
            models.CheckConstraint(condition=~models.Q(amount=0) | ~models.Q(shares=0), name="economy_entry_not_empty"),
        ]
        indexes = [models.Index(fields=["cycle", "member", "kind"], name="economy_entry_member"),
                   models.Index(fields=["loan"], name="economy_entry_loan")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("ledger entries are never changed: write a reversing entry")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("ledger entries are never deleted: write a reversing entry")

    @property
    def cash(self) -> int:
        return self.amount if self.kind in CASH_IN else -self.amount


class ShareOut(models.Model):
    """The end-of-cycle share-out (*reparto*): how the fund was valued and divided. The lines
    and the entries it wrote can be recomputed from the ledger (`economy/shareout.py`)."""

    cycle = models.OneToOneField(Cycle, on_delete=models.PROTECT, related_name="share_out")
    on = models.DateField(_("fecha"))
    box = models.BigIntegerField(_("caja antes del reparto"))
    social_fund = models.BigIntegerField(_("fondo social que queda"))
    recovered = models.BigIntegerField(_("deudas descontadas de los ahorros"))
    distributable = models.BigIntegerField(_("fondo a repartir"))
    total_shares = models.IntegerField(_("acciones"))
    remainder = models.BigIntegerField(_("céntimos que quedan en caja"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class ShareOutLine(models.Model):
    share_out = models.ForeignKey(ShareOut, on_delete=models.CASCADE, related_name="lines")
    member = models.ForeignKey(GroupMember, on_delete=models.PROTECT, related_name="+")
    shares = models.IntegerField()
    gross = models.BigIntegerField()
    owed = models.BigIntegerField()
    netted = models.BigIntegerField()
    paid = models.BigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["share_out", "member"], name="economy_shareout_line_once")]


# --- Gardens -----------------------------------------------------------------------------------

class Garden(models.Model):
    """A community or family garden (*biohuerto*) and the kitchens it supplies."""

    class Kind(models.TextChoices):
        COMMUNITY = "community", _("Biohuerto comunal")
        FAMILY = "family", _("Biohuerto familiar")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="gardens",
                                     verbose_name=_("organización"))
    name = models.CharField(_("nombre"), max_length=120)
    kind = models.CharField(_("tipo"), max_length=10, choices=Kind.choices, default=Kind.COMMUNITY)
    area_m2 = models.PositiveIntegerField(_("área (m²)"), null=True, blank=True)
    crops = models.CharField(_("cultivos"), max_length=200, blank=True)
    kitchens = models.ManyToManyField(Organisation, related_name="supplying_gardens", blank=True,
                                      verbose_name=_("cocinas que abastece"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("biohuerto")
        verbose_name_plural = _("biohuertos")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Harvest(models.Model):
    """A harvest delivered to a kitchen: the stock movement it wrote is the one record of the food
    (the kitchen's ledger, kind «cosecha del biohuerto»); this row says which garden it came from."""

    garden = models.ForeignKey(Garden, on_delete=models.PROTECT, related_name="harvests")
    movement = models.OneToOneField("kitchens.StockMovement", on_delete=models.PROTECT, related_name="harvest")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cosecha")
        verbose_name_plural = _("cosechas")


# --- Family-farm producers and purchases --------------------------------------------------------

class Programme(models.TextChoices):
    KITCHEN = "kitchen", _("Compra propia de la cocina")
    PCA = "pca", _("Programa de Complementación Alimentaria (municipal)")
    VASO_DE_LECHE = "vaso", _("Vaso de Leche (municipal)")
    OTHER = "other", _("Otro programa")


class FamilyFarmTarget(models.Model):
    """The share of a programme's purchases that must come from family farming (Ley 31071),
    by year: 10 % in 2022, 20 % in 2023, 30 % from 2024 (migration data). A year without a row
    takes the latest earlier target."""

    year = models.PositiveSmallIntegerField(_("año"), primary_key=True)
    percent = models.DecimalField(_("meta (%)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("meta de compras a la agricultura familiar")
        ordering = ["year"]


class Producer(models.Model):
    """A producer (*productora*, *productor*, or an association), with her district and products,
    and her registration as a family farmer when she has one (REGAF, or the municipality's)."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Persona")
        ASSOCIATION = "association", _("Asociación")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="producers",
                                     verbose_name=_("registrada por"))
    name = models.CharField(_("nombre"), max_length=160)
    kind = models.CharField(_("tipo"), max_length=12, choices=Kind.choices, default=Kind.PERSON)
    district = models.ForeignKey("geo.District", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("distrito"))
    products = models.ManyToManyField("kitchens.FoodItem", related_name="+", verbose_name=_("productos"))
    family_farm_registration = models.CharField(_("registro de agricultura familiar"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("productor")
        verbose_name_plural = _("productores")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_family_farm(self) -> bool:
        return bool(self.family_farm_registration)


class Purchase(models.Model):
    """A purchase by a kitchen or a municipal programme, with the stock movement it fed. Whether
    it came from family farming is fixed when it is recorded (a producer registered later does
    not change last year's share)."""

    buyer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="purchases",
                              verbose_name=_("comprador"))
    programme = models.CharField(_("programa"), max_length=8, choices=Programme.choices, default=Programme.KITCHEN)
    municipality = models.ForeignKey("geo.District", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("municipalidad (distrito)"))
    producer = models.ForeignKey(Producer, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="purchases")
    family_farm = models.BooleanField(_("de la agricultura familiar"), default=False)
    on = models.DateField(_("fecha"))
    amount = models.BigIntegerField(_("monto (céntimos)"))
    movement = models.OneToOneField("kitchens.StockMovement", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="purchase")

    class Meta:
        verbose_name = _("compra")
        verbose_name_plural = _("compras")
        indexes = [models.Index(fields=["on", "municipality", "programme"], name="economy_purchase_share")]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="economy_purchase_positive")]



class PurchaseRollup(models.Model):
    """The purchases of one roll-up cell of buyers (`kitchens.summaries.rollup_path` of the
    buyer's path), one municipality, one programme and one month: their total and the part from
    family farming, in céntimos. Kept by the purchase services (`producers`) in the transaction
    of each purchase, correction and cancellation, only with `F()` arithmetic; the share per
    municipality and the dashboard's panel read these rows instead of every purchase, and
    `ayni check-integrity` compares them with a recomputation from the purchases."""

    path = models.CharField(max_length=255)
    municipality = models.ForeignKey("geo.District", on_delete=models.PROTECT, related_name="+")
    programme = models.CharField(max_length=8, choices=Programme.choices)
    month = models.DateField()
    purchases = models.IntegerField(default=0)
    total = models.BigIntegerField(default=0)
    family = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["path", "municipality", "programme", "month"],
                                               name="one_purchase_rollup_per_cell")]
        indexes = [models.Index(fields=["month", "path"], name="economy_purchase_rollup_month")]

# --- Ventures ----------------------------------------------------------------------------------

class Venture(models.Model):
    """A women's venture (*emprendimiento*): a bakery, crafts, catering… kept by the
    organisation it is a member of (usually a federation), with its members (the women who earn
    from it) and, if it keeps them, its sales and costs by month."""

    class Activity(models.TextChoices):
        FOOD = "food", _("Panadería, repostería o comidas")
        CATERING = "catering", _("Servicio de alimentación (catering)")
        CRAFTS = "crafts", _("Artesanía")
        TEXTILES = "textiles", _("Tejido y confección")
        FARMING = "farming", _("Crianza o cultivo")
        TRADE = "trade", _("Bodega o venta")
        OTHER = "other", _("Otra actividad")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="ventures",
                                     verbose_name=_("organización de la que es socia"))
    name = models.CharField(_("nombre"), max_length=120)
    activity = models.CharField(_("actividad"), max_length=10, choices=Activity.choices, default=Activity.FOOD)
    products = models.CharField(_("qué hace o vende"), max_length=200, blank=True)
    member_since = models.DateField(_("socia de la organización desde"), null=True, blank=True)
    closed_on = models.DateField(_("dejó de funcionar"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("emprendimiento")
        verbose_name_plural = _("emprendimientos")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class VentureMember(models.Model):
    """A woman who works in and earns from the venture."""

    venture = models.ForeignKey(Venture, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="ventures")
    since = models.DateField(_("desde"))
    until = models.DateField(_("hasta"), null=True, blank=True)

    class Meta:
        verbose_name = _("socia del emprendimiento")
        verbose_name_plural = _("socias del emprendimiento")
        constraints = [models.UniqueConstraint(fields=["venture", "person"], name="economy_venture_member_once")]

    def __str__(self) -> str:
        return str(self.person)


class VentureMonth(models.Model):
    """A venture's sales and costs in one month, in céntimos (optional: not every venture keeps
    them). The month is its first day; a correction replaces the figures, the audit trail keeps
    the ones before."""

    venture = models.ForeignKey(Venture, on_delete=models.CASCADE, related_name="months")
    month = models.DateField(_("mes"))
    sales = models.BigIntegerField(_("ventas (céntimos)"))
    costs = models.BigIntegerField(_("costos (céntimos)"))

    class Meta:
        verbose_name = _("mes del emprendimiento")
        verbose_name_plural = _("meses del emprendimiento")
        ordering = ["venture", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["venture", "month"], name="economy_venture_month_once"),
            models.CheckConstraint(condition=models.Q(sales__gte=0, costs__gte=0),
                                   name="economy_venture_month_not_negative"),
        ]

    def __str__(self) -> str:
        return self.month.strftime("%m/%Y")

    @property
    def net(self) -> int:
        return self.sales - self.costs
