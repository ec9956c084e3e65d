"""Kitchen operations: the daily report (*parte diario*), the food stock ledger (*kárdex*),
deliveries promised vs received, subsidy payments, the monthly close and the monthly summaries.

Balances and summaries are stored, but never typed: only the services in `services.py` write
them, in the same transaction as the row they follow, and `ayni check-integrity` recomputes
them from scratch to prove it.
"""

import calendar
import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ayni.geo.models import District
from ayni.orgs.models import Organisation

QTY = {"max_digits": 12, "decimal_places": 3}
MONEY = {"max_digits": 12, "decimal_places": 2}


def plain(value: Decimal) -> str:
    """A quantity without trailing zeros or exponent: 20, 12.5, 0.25."""
    return format(value.normalize(), "f")


def month_end(month: datetime.date) -> datetime.date:
    """The last day of the month `month` falls in."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


class FoodItem(models.Model):
    """An item of the food catalogue (data: migration 0002), with its unit and the reference
    price used to value state food when the cost of a ration is computed."""

    code = models.SlugField(primary_key=True, max_length=40)
    name = models.CharField(_("nombre"), max_length=80)
    unit = models.CharField(_("unidad"), max_length=20)
    is_staple = models.BooleanField(_("alimento básico"), default=False,
                                    help_text=_("Los básicos generan alerta cuando quedan pocos días."))
    reference_price = models.DecimalField(_("precio de referencia por unidad (S/)"), default=Decimal(0), **MONEY)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("alimento")
        verbose_name_plural = _("alimentos")

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class DailyReport(models.Model):
    """*Parte diario*: one per kitchen per day. `version` grows by one on every save, so a save
    made from an outdated form is refused instead of silently overwriting the other one."""

    kitchen = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="daily_reports",
                                verbose_name=_("cocina"))
    date = models.DateField(_("fecha"))
    is_closed = models.BooleanField(_("no se cocinó"), default=False)
    closed_reason = models.CharField(_("motivo"), max_length=120, blank=True)
    rations_prepared = models.PositiveIntegerField(_("raciones preparadas"), default=0)
    served_paying = models.PositiveIntegerField(_("raciones pagantes"), default=0)
    served_subsidised = models.PositiveIntegerField(_("raciones subsidiadas"), default=0)
    served_free = models.PositiveIntegerField(_("raciones gratuitas (casos sociales)"), default=0)
    price_per_ration = models.DecimalField(_("precio por ración (S/)"), default=Decimal(0), **MONEY)
    menu = models.CharField(_("menú"), max_length=200, blank=True)
    cooks = models.CharField(_("cocineras de turno"), max_length=200, blank=True)
    cooks_count = models.PositiveSmallIntegerField(_("número de cocineras"), default=0)
    cash_received = models.DecimalField(_("dinero recibido (S/)"), default=Decimal(0), **MONEY)
    notes = models.TextField(_("observaciones"), blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-date"]
        verbose_name = _("parte diario")
        verbose_name_plural = _("partes diarios")
        constraints = [
            models.UniqueConstraint(fields=["kitchen", "date"], name="one_report_per_kitchen_day"),
            models.CheckConstraint(
                condition=models.Q(price_per_ration__gte=0) & models.Q(cash_received__gte=0),
                name="report_money_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kitchen} {self.date:%d/%m/%Y}"

    @property
    def rations_served(self) -> int:
        return self.served_paying + self.served_subsidised + self.served_free


class DailyReportRevision(models.Model):
    """A report as it was after each save: the day's history."""

    report = models.ForeignKey(DailyReport, on_delete=models.CASCADE, related_name="revisions")
    # The report's day, copied: on PostgreSQL both tables are partitioned by month of it
    # (lib/partitions.py), and the foreign key (report, report_date) → report (id, date) that the
    # migration adds there keeps it equal to the report's.
    report_date = models.DateField(editable=False)
    version = models.PositiveIntegerField()
    data = models.JSONField(default=dict)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    saved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["report", "version"], name="one_revision_per_version")]


class MovementKind(models.TextChoices):
    STATE_DELIVERY = "state", _("Entrega del programa estatal")
    MUNICIPAL_DELIVERY = "municipal", _("Entrega municipal")
    PURCHASE = "purchase", _("Compra")
    DONATION = "donation", _("Donación")
    HARVEST = "harvest", _("Cosecha del biohuerto")
    TRANSFER_IN = "transfer_in", _("Recibido de otra cocina")
    USED = "used", _("Usado en la cocina")
    LOST = "lost", _("Perdido o vencido")
    TRANSFER_OUT = "transfer_out", _("Entregado a otra cocina")
    COUNT = "count", _("Ajuste por conteo físico")


INBOUND = {MovementKind.STATE_DELIVERY, MovementKind.MUNICIPAL_DELIVERY, MovementKind.PURCHASE,
           MovementKind.DONATION, MovementKind.HARVEST, MovementKind.TRANSFER_IN}
OUTBOUND = {MovementKind.USED, MovementKind.LOST, MovementKind.TRANSFER_OUT}
STATE_FOOD = {MovementKind.STATE_DELIVERY, MovementKind.MUNICIPAL_DELIVERY}


class StockMovement(models.Model):
    """One line of the ledger. `delta` is signed (+ in, − out, ± a count's difference); a
    balance is the sum of the deltas. `value` is what the line is worth for the cost of a
    ration: the purchase price paid, or state food at the item's reference price that day."""

    kitchen = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="stock_movements",
                                verbose_name=_("cocina"))
    item = models.ForeignKey(FoodItem, on_delete=models.PROTECT, verbose_name=_("alimento"))
    date = models.DateField(_("fecha"))
    kind = models.CharField(_("tipo"), max_length=12, choices=MovementKind.choices)
    delta = models.DecimalField(_("cantidad"), **QTY)
    unit_price = models.DecimalField(_("precio unitario (S/)"), null=True, blank=True, **MONEY)
    value = models.DecimalField(_("valor (S/)"), default=Decimal(0), **MONEY)
    party = models.CharField(_("proveedor, donante o cocina"), max_length=120, blank=True)
    note = models.CharField(_("observación"), max_length=200, blank=True)
    receipt = models.OneToOneField("DeliveryReceipt", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="movement")
    # Used more than the book balance: allowed (the paper count may be late), flagged until
    # the next physical count of the item looks at it.
    over_balance = models.BooleanField(_("excede el saldo"), default=False)
    reviewed_by_count = models.ForeignKey("StockCount", on_delete=models.SET_NULL, null=True, blank=True,
                                          related_name="reviewed_movements")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("movimiento de almacén")
        verbose_name_plural = _("movimientos de almacén")
        indexes = [
            models.Index(fields=["kitchen", "item", "date"], name="movement_kitchen_item_date"),
            models.Index(fields=["kitchen", "kind", "date"], name="movement_kitchen_kind_date"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {plain(abs(self.delta))} {self.item.unit} {self.item.name}"

    @property
    def quantity(self) -> Decimal:
        return abs(self.delta)


class StockBalance(models.Model):
    """The book balance of one item in one kitchen: the sum of its movements, kept by the
    ledger services row-locked, so that reading it costs one row."""

    kitchen = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="stock_balances")
    item = models.ForeignKey(FoodItem, on_delete=models.PROTECT)
    quantity = models.DecimalField(default=Decimal(0), **QTY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kitchen", "item"], name="one_balance_per_item")]


class StockCount(models.Model):
    """A physical count (*conteo físico*): what was on the shelf, what the book said, and the
    difference, which the ledger records as a `count` movement."""

    kitchen = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="stock_counts")
    item = models.ForeignKey(FoodItem, on_delete=models.PROTECT, verbose_name=_("alimento"))
    date = models.DateField(_("fecha del conteo"))
    counted = models.DecimalField(_("cantidad contada"), **QTY)
    book_balance = models.DecimalField(_("saldo según el kárdex"), **QTY)
    difference = models.DecimalField(_("diferencia"), **QTY)
    movement = models.OneToOneField(StockMovement, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="count")
    note = models.CharField(_("observación"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("conteo físico")
        verbose_name_plural = _("conteos físicos")

    def __str__(self) -> str:
        return _("Conteo de %(item)s del %(date)s: %(qty)s %(unit)s") % {
            "item": self.item.name, "date": f"{self.date:%d/%m/%Y}", "qty": plain(self.counted), "unit": self.item.unit}


class DeliverySchedule(models.Model):
    """What a municipality's programme promised a kitchen: an item, a quantity, a period and
    the date it should arrive (*programación de entregas*)."""

    kitchen = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="delivery_schedules",
                                verbose_name=_("cocina"))
    municipality = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("municipalidad"))
    programme = models.CharField(_("programa"), max_length=80, default="PCA")
    kind = models.CharField(_("tipo de entrega"), max_length=12, default=MovementKind.STATE_DELIVERY,
                            choices=[(k.value, k.label) for k in (MovementKind.STATE_DELIVERY,
                                                                  MovementKind.MUNICIPAL_DELIVERY)])
    item = models.ForeignKey(FoodItem, on_delete=models.PROTECT, verbose_name=_("alimento"))
    quantity = models.DecimalField(_("cantidad prometida"), **QTY)
    period_start = models.DateField(_("periodo desde"))
    period_end = models.DateField(_("periodo hasta"))
    due_on = models.DateField(_("fecha de entrega prometida"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_on", "-id"]
        verbose_name = _("entrega programada")
        verbose_name_plural = _("entregas programadas")
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="schedule_quantity_positive"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                   name="schedule_period_order"),
        ]

    def __str__(self) -> str:
        return f"{self.programme}: {plain(self.quantity)} {self.item.unit} {self.item.name} ({self.due_on:%d/%m/%Y})"


class DeliveryReceipt(models.Model):
    """What arrived for a schedule: when, how much, in what condition (*acta de recepción*)."""

    class Condition(models.TextChoices):
        GOOD = "good", _("Buen estado")
        PARTIAL = "partial", _("Parte en mal estado")
        BAD = "bad", _("Mal estado")

    schedule = models.ForeignKey(DeliverySchedule, on_delete=models.PROTECT, related_name="receipts")
    received_on = models.DateField(_("fecha de recepción"))
    quantity = models.DecimalField(_("cantidad recibida"), **QTY)
    condition = models.CharField(_("estado"), max_length=8, choices=Condition.choices, default=Condition.GOOD)
    note = models.CharField(_("observación"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("recepción de entrega")
        verbose_name_plural = _("recepciones de entregas")

    def __str__(self) -> str:
        item = self.schedule.item
        return _("Recepción del %(date)s: %(qty)s %(unit)s de %(item)s") % {
            "date": f"{self.received_on:%d/%m/%Y}", "qty": plain(self.quantity), "unit": item.unit, "item": item.name}


class SubsidyPayment(models.Model):
    """Cash subsidy received for a period (a month)."""

    kitchen = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="subsidy_payments")
    month = models.DateField(_("mes"))
    amount = models.DecimalField(_("monto (S/)"), **MONEY)
    received_on = models.DateField(_("fecha de recepción"))
    note = models.CharField(_("observación"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="subsidy_positive")]

    def __str__(self) -> str:
        return _("Subsidio de %(month)s: S/ %(amount)s") % {"month": f"{self.month:%m/%Y}", "amount": self.amount}


class MonthClose(models.Model):
    """The monthly close of one kitchen: closed by its leader, then validated by the
    coordination (locked for good) or returned with a comment (open again)."""

    class Status(models.TextChoices):
        CLOSED = "closed", _("Cerrado, por validar")
        RETURNED = "returned", _("Devuelto con observaciones")
        VALIDATED = "validated", _("Validado")

    kitchen = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="month_closes")
    month = models.DateField(_("mes"))
    status = models.CharField(_("estado"), max_length=10, choices=Status.choices)
    totals = models.JSONField(default=dict)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    closed_at = models.DateTimeField(null=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True)
    comment = models.TextField(_("comentario"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kitchen", "month"], name="one_close_per_kitchen_month")]

    @property
    def is_locked(self) -> bool:
        return self.status in (self.Status.CLOSED, self.Status.VALIDATED)


SUMMARY_FIELDS = (
    "days_reported", "days_cooked", "rations_prepared", "served_paying", "served_subsidised", "served_free",
    "cash_received", "purchases_cost", "state_food_value", "subsidy_received",
)


class MonthTotals(models.Model):
    """The month's figures a kitchen's summary and a roll-up row both carry (`SUMMARY_FIELDS`)."""

    days_reported = models.IntegerField(default=0)
    days_cooked = models.IntegerField(default=0)
    rations_prepared = models.IntegerField(default=0)
    served_paying = models.IntegerField(default=0)
    served_subsidised = models.IntegerField(default=0)
    served_free = models.IntegerField(default=0)
    cash_received = models.DecimalField(default=Decimal(0), **MONEY)
    purchases_cost = models.DecimalField(default=Decimal(0), **MONEY)
    state_food_value = models.DecimalField(default=Decimal(0), **MONEY)
    subsidy_received = models.DecimalField(default=Decimal(0), **MONEY)

    class Meta:
        abstract = True


class MonthlySummary(MonthTotals):
    """One kitchen's totals for one month, kept up to date by every save that changes them.
    `path` is the kitchen's organisation path, so a subtree's totals for a range of months are
    one prefix query over this small table."""

    kitchen = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="monthly_summaries")
    path = models.CharField(max_length=255)
    month = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kitchen", "month"], name="one_summary_per_kitchen_month")]
        indexes = [
            models.Index(fields=["path", "month"], name="summary_path_month",
                         opclasses=["varchar_pattern_ops", "date_ops"]),
        ]

    def as_totals(self) -> dict:
        return {f: getattr(self, f) for f in SUMMARY_FIELDS}


# Roll-up rows group kitchens by the organisation at this depth of the tree (0 the
# confederation, 1 a provincial federation) and by district: a national or federation
# dashboard reads a few thousand of them instead of one summary per kitchen and month.
ROLLUP_DEPTH = 1


class MonthlyRollup(MonthTotals):
    """The totals of the kitchens under one organisation at `ROLLUP_DEPTH` (their path cut to
    that depth) and in one district, for one month: the sums of their `MonthlySummary` rows and
    how many of them reported at all. Changed by the same difference as the summary, in the
    same transaction (`summaries.bump`). One row per federation and district, not one per
    department or country, so that kitchens saving at once rarely wait for each other."""

    path = models.CharField(max_length=255)
    district = models.CharField(max_length=6, blank=True)  # UBIGEO; "" for a kitchen without one
    month = models.DateField()
    kitchens_reporting = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["path", "district", "month"], name="one_rollup_per_cell_month")]
        indexes = [models.Index(fields=["month"], name="rollup_month")]

    def as_totals(self) -> dict:
        return {f: getattr(self, f) for f in (*SUMMARY_FIELDS, "kitchens_reporting")}


class ReportingGap(models.Model):
    """How many kitchens of a roll-up row (federation and district) reported in `month` and,
    before it, last reported in `previous_month` (null: never before). It answers "how many
    kitchens reported at least once between F and L" without one row per kitchen: each such
    kitchen has exactly one reporting month in the range whose previous one is before F, so the
    answer is the sum of the rows with F ≤ month ≤ L and previous_month < F. Kept by
    `summaries.bump` when a kitchen's month gains its first report or loses its last."""

    path = models.CharField(max_length=255)
    district = models.CharField(max_length=6, blank=True)
    month = models.DateField()
    previous_month = models.DateField()
    kitchens = models.IntegerField(default=0)

    NEVER = datetime.date(1900, 1, 1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["path", "district", "month", "previous_month"],
                                               name="one_gap_per_cell_months")]
        indexes = [models.Index(fields=["month", "previous_month"], name="gap_month_previous")]


class DeliveryRollup(models.Model):
    """The State's promised deliveries summed per roll-up cell (federation and the kitchens'
    district, as `MonthlyRollup`), municipality, food and promised day: how many, what was
    promised and received, how many came short, how many have not arrived, and, of those that
    arrived, how many late and by how many days in all. Kept by the schedule and receipt
    services in their transaction (`kitchens.deliveries`) and by the organisation moves.

    What has not arrived grows later every day, so it is kept by its promised day and made
    late at reading time (`deliveries.totals`): the roll-up itself never depends on the date."""

    path = models.CharField(max_length=255)
    district = models.CharField(max_length=6, blank=True)  # the kitchens' UBIGEO; "" without one
    municipality = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")  # who promised
    item = models.ForeignKey(FoodItem, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    deliveries = models.IntegerField(default=0)
    promised = models.DecimalField(max_digits=18, decimal_places=3, default=Decimal(0))
    received = models.DecimalField(max_digits=18, decimal_places=3, default=Decimal(0))
    short = models.IntegerField(default=0)
    pending = models.IntegerField(default=0)
    late_received = models.IntegerField(default=0)
    days_late_received = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["path", "district", "municipality", "item", "due_on"],
                                               name="one_delivery_rollup_per_cell_day")]
        indexes = [models.Index(fields=["due_on"], name="delivery_rollup_due")]


class FoodAlert(models.Model):
    """A staple a kitchen has 7 days or fewer of, as of its last stock change. Without a new
    movement the alert can only fade — older use leaves the 14-day window — so the change
    writes down the days left on each day from then until the alert no longer holds (`until`,
    or null when nothing is left: 0 days until food comes in). Kept by the stock services in
    their transaction (`kitchens.food_alerts`); the dashboards read these few rows instead of
    every balance and fortnight of movements."""

    kitchen = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(FoodItem, on_delete=models.CASCADE, related_name="+")
    computed_on = models.DateField()
    until = models.DateField(null=True, blank=True)
    # Days left on `computed_on`, the day after, … up to the day before `until`, comma-separated.
    days_left = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kitchen", "item"], name="one_food_alert_per_staple")]

    def left_on(self, day: datetime.date) -> Decimal | None:
        return left_on(self.computed_on, self.until, self.days_left, day)


def left_on(computed_on: datetime.date, until: datetime.date | None, days_left: str,
            day: datetime.date) -> Decimal | None:
    """A `FoodAlert`'s days left on `day` (a day from `computed_on` on), None once it faded."""
    if until is None:
        return Decimal(0)
    if not computed_on <= day < until:
        return None
    return Decimal(days_left.split(",")[(day - computed_on).days])


class FiguresRevision(models.Model):
    """How many times the figures of one roll-up cell (the kitchens under one organisation at
    `ROLLUP_DEPTH`, `summaries.rollup_path`) have changed: every write that moves a total kept
    for the dashboards — roll-ups, reporting gaps, deliveries, people fed, food alerts, the
    organisations themselves — adds one here in its own transaction (`summaries.touch`). A
    page drawn from the figures of a subtree is kept in the cache under the sum of its cells'
    revisions (`evidence.cache`), so the next page after any save is drawn afresh, on every
    worker, with no message between them. Rows are never deleted: the sum only grows."""

    path = models.CharField(max_length=255, unique=True)
    n = models.BigIntegerField(default=0)
