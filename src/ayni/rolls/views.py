"""Pages of the roll: authorise, parse, call a service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ayni.accounts.scope import Can
from ayni.kitchens.access import requires_kitchen
from ayni.lib import exports
from ayni.lib.identity import id_column, short_name
from ayni.lib.views import form_page, to
from ayni.orgs.access import requires
from ayni.orgs.selectors import scope_roots
from ayni.people.models import DuplicatePair
from ayni.people.selectors import find_by_dni
from ayni.rolls import imports, selectors, services, spreadsheet
from ayni.rolls.forms import AddToRollForm, DecisionForm, EditEntryForm, ExitForm, ImportForm, RollFilterForm
from ayni.rolls.models import ImportBatch
from ayni.rolls.tasks import find_duplicates


@requires_kitchen(Can.VIEW_PERSONAL)
def roll(request, org):
    """A kitchen's roll: search, filters, and the counts by category and ration type."""
    form = RollFilterForm(request.GET or None, country=org.country)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.roll_entries(
        request.scope, org, text=filters.get("q", ""),
        category=filters["categoria"].code if filters.get("categoria") else "", ration=filters.get("racion", ""))
    page = Paginator(entries, 100).get_page(request.GET.get("pagina"))
    return render(request, "rolls/roll.html", {
        "org": org, "form": form, "page": page, "counts": selectors.roll_counts(request.scope, org),
        "id_col": id_column((e.person.dni for e in page), org.country),
        "can_edit": request.scope.holds(Can.EDIT, org), "can_validate": request.scope.holds(Can.VALIDATE, org),
        "filtered": any(filters.values()) if filters else False,
    })


@requires(Can.VIEW, on="pk")
def summary(request, org):
    """Counts only, for an organisation and everything below it: what a viewer may read."""
    return render(request, "rolls/summary.html", {
        "org": org, "counts": selectors.roll_counts(request.scope, org),
        "personal": request.scope.holds(Can.VIEW_PERSONAL, org),
        "can_validate": request.scope.holds(Can.VALIDATE, org),
    })


@requires_kitchen(Can.VIEW_PERSONAL)
def print_roll(request, org):
    """The roll on A4 paper with a column to sign, as municipalities ask for it."""
    entries = list(selectors.roll_entries(request.scope, org))
    return render(request, "rolls/print.html", {
        "org": org, "entries": entries, "today": timezone.localdate(),
        "id_col": id_column((e.person.dni for e in entries), org.country), "org_document": short_name(org.country)})


@requires_kitchen(Can.EDIT)
@require_http_methods(["GET", "POST"])
def add(request, org):
    """Put one person on the roll, fast, from a phone. Before creating someone new it asks
    whether she is the same as a similar person already on a roll in the user's scope."""
    today = timezone.localdate()
    form = AddToRollForm(request.POST or None, heads=selectors.household_heads(org), initial={
        "since": today, "consent_on": today, "category": selectors.likely_category(request.scope, org, today)},
        country=org.country)
    candidates = []

    def register(data):
        fields = form.person_fields()
        person = None
        choice = request.POST.get("misma", "")
        if fields["dni"]:
            # Only someone she may already see; a DNI held out of her sight registers a new person
            # and goes to review (people.services.hold_dni_for_review).
            person = find_by_dni(request.scope, fields["dni"]).person
        if person is None and choice.isdigit():
            person = selectors.visible_roll_people(request.scope).filter(pk=choice).first()
        if person is None and choice != "nueva":
            candidates.extend(selectors.similar_people(request.scope, org, fields))
            if candidates:
                return None  # asked first: is she one of these?
        return services.register_entry(scope=request.scope, kitchen=org, person=person,
                                       **form.entry_fields(), **({} if person else fields))

    def then(entry):
        if entry is None:
            return None
        return redirect("rolls:add" if "otra" in request.POST else "rolls:roll", pk=org.pk)

    return form_page(
        request, form, action=register, then=then,
        success=lambda entry: _("Se agregó a %(person)s al padrón.") % {"person": entry.person.full_name}
        if entry else "",
        template="rolls/add.html", context={"org": org, "candidates": candidates})


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    entry = selectors.get_entry(request.scope, pk, Can.EDIT)
    if entry.until is not None:
        raise Http404
    initial = {f: getattr(entry, f) for f in ("category", "ration", "social_case_reason", "consent_method",
                                              "consent_witness", "consent_on", "notes", "since")}
    initial["household_head"] = entry.household.head_id if entry.household_id else None
    initial["consent_on"] = entry.consent_on or timezone.localdate()
    form = EditEntryForm(request.POST or None, heads=selectors.household_heads(entry.kitchen), initial=initial)

    def update(_data):
        fields = form.entry_fields()
        head = fields.pop("household_head", None)
        return services.update_entry(scope=request.scope, entry=entry, household_head=head, **fields)

    return form_page(
        request, form, action=update,
        success=_("Se guardaron los cambios de %(person)s.") % {"person": entry.person},
        then=to("rolls:roll", pk=entry.kitchen_id),
        template="rolls/form.html", context={"org": entry.kitchen, "entry": entry,
                                             "title": _("Editar inscripción")})


@login_required
@require_http_methods(["GET", "POST"])
def exit_view(request, pk):
    """Record that a person no longer eats here (the entry is kept for her history)."""
    entry = selectors.get_entry(request.scope, pk, Can.EDIT)
    return form_page(
        request, ExitForm(request.POST or None, initial={"until": timezone.localdate()}),
        action=lambda data: services.exit_entry(scope=request.scope, entry=entry, until=data["until"],
                                                reason=data["reason"], note=data["note"]),
        success=_("Se registró la salida de %(person)s.") % {"person": entry.person},
        then=to("rolls:roll", pk=entry.kitchen_id),
        template="rolls/form.html", context={"org": entry.kitchen, "entry": entry,
                                             "title": _("Registrar salida del padrón")})


@login_required
def person(request, pk):
    """A person's history across the kitchens the user may see names of."""
    person, entries = selectors.person_history(request.scope, pk)
    return render(request, "rolls/person.html", {
        "person": person, "entries": entries, "today": timezone.localdate()})


@requires(Can.VALIDATE)
def duplicates(request):
    """The review queue: pairs that may be one person, for coordinators."""
    status = request.GET.get("estado", DuplicatePair.Status.OPEN)
    if status not in DuplicatePair.Status.values:
        status = DuplicatePair.Status.OPEN
    page = Paginator(selectors.duplicate_queue(request.scope, status), 50).get_page(request.GET.get("pagina"))
    # A search can also be started from here, over each top organisation she validates.
    areas = [org for org in scope_roots(request.scope) if request.scope.holds(Can.VALIDATE, org)]
    return render(request, "rolls/duplicates.html", {"page": page, "status": status, "areas": areas,
                                                     "statuses": DuplicatePair.Status.choices})


@login_required
@require_http_methods(["GET", "POST"])
def decide(request, pk):
    pair = selectors.get_pair(request.scope, pk)
    # Both sides: a pair is decided only by someone who validates both kitchens.
    request.scope.require(Can.VALIDATE, pair.kitchen_a)
    request.scope.require(Can.VALIDATE, pair.kitchen_b)

    def decide_it(data):
        same = data["decision"] == "same"
        keep = None
        if same and data.get("keep") in (pair.person_a_id, pair.person_b_id):
            keep = pair.person_a if data["keep"] == pair.person_a_id else pair.person_b
        return services.decide_pair(scope=request.scope, pair=pair, same=same, keep=keep)

    sides = []
    for person in (pair.person_a, pair.person_b):
        entries = list(person.roll_entries.select_related("kitchen", "category")) if person else []
        sides.append((person, entries))
    return form_page(
        request, DecisionForm(request.POST or None), action=decide_it,
        success=lambda decided: _("Se unieron los dos registros; se conserva toda su historia.")
        if decided.status == DuplicatePair.Status.SAME
        else _("Quedó registrado que son personas distintas; no se volverán a sugerir."),
        then=to("rolls:duplicates"), template="rolls/decide.html", context={"pair": pair, "sides": sides})


@requires(Can.VALIDATE, on="pk")
@require_POST
def scan(request, org):
    """Start the duplicate search over an organisation's whole subtree, in the background."""
    find_duplicates.enqueue(org.pk)
    messages.success(request, _("Se inició la búsqueda de duplicados en %(org)s. Los pares encontrados aparecerán "
                                "en la lista de revisión.") % {"org": org.name})
    return redirect("rolls:duplicates")


@requires(Can.VIEW_PERSONAL, on="pk")
def export(request, org, fmt):
    """A kitchen's roll, or a district's (every kitchen below it), as XLSX or CSV. Logged."""
    if fmt not in ("xlsx", "csv"):
        raise Http404
    today = timezone.localdate()
    entries = list(selectors.roll_entries(request.scope, org).order_by(
        "kitchen__name", "person__paternal_surname", "person__maternal_surname", "person__given_names"))
    services.log_export(scope=request.scope, organisation=org, fmt=fmt, rows=len(entries))
    stem = slugify(f"padron {org.name} {today:%Y-%m-%d}")
    column = id_column((e.person.dni for e in entries), org.country)
    rows, headers = spreadsheet.export_rows(entries, today, column), spreadsheet.export_headers(column)
    if fmt == "xlsx":
        title = _("Padrón de usuarios — %(org)s — al %(d)s") % {"org": org.name, "d": today.strftime("%d/%m/%Y")}
        body = exports.xlsx_bytes(_("Padrón"), headers, rows, title=title, text_columns=[spreadsheet.ID_COLUMN])
        content_type = exports.XLSX_CONTENT_TYPE
    else:
        body, content_type = exports.csv_bytes(headers, rows), exports.CSV_CONTENT_TYPE
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


@requires_kitchen(Can.EDIT)
@require_http_methods(["GET", "POST"])
def import_upload(request, org):
    """Step one: the file is stored as it came, then read for the preview."""

    def upload(data):
        upload = data["file"]
        if upload.size > spreadsheet.MAX_BYTES:  # refused before reading it into memory
            raise ValidationError({"file": _("El archivo pesa %(mb).1f MB; el máximo es %(max)s MB. Divídalo en "
                                             "varios archivos.") % {"mb": upload.size / 1024 / 1024,
                                                                    "max": spreadsheet.MAX_BYTES // 1024 // 1024}})
        return imports.upload_import(scope=request.scope, kitchen=org, filename=upload.name, content=upload.read(),
                                     consent_method=data["consent_method"])

    return form_page(
        request, ImportForm(request.POST or None, request.FILES or None), action=upload,
        then=lambda batch: redirect("rolls:import_preview", pk=batch.pk), template="rolls/import.html", context={
            "org": org, "recent": org.roll_imports.defer("content", "preview")[:5],
            "max_rows": spreadsheet.max_rows(), "max_columns": spreadsheet.max_columns(),
            "max_mb": spreadsheet.MAX_BYTES // 1024 // 1024})


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request, pk):
    """Step two, as the task worker read the file (it is never read here): every row's outcome and
    every error, a question for each column it did not recognise, and the confirm of the valid
    rows. While the file is being read, the page says so and refreshes itself."""
    batch = selectors.get_import(request.scope, pk)
    org = batch.kitchen  # always a kitchen: an upload anywhere else is refused
    request.scope.require(Can.EDIT, org)
    answers = {}
    if request.method == "POST":
        action = request.POST.get("accion", "confirmar")
        answers = {int(k.removeprefix("columna-")): v for k, v in request.POST.items()
                   if k.startswith("columna-") and k.removeprefix("columna-").isdigit()}
        try:
            if action in ("columnas", "leer"):
                imports.answer_columns(scope=request.scope, batch=batch,
                                       choices=answers if action == "columnas" else None)
                return redirect("rolls:import_preview", pk=batch.pk)
            created = imports.apply_import(scope=request.scope, batch=batch)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Se agregaron %(n)s personas al padrón.") % {"n": created})
            return redirect("rolls:roll", pk=org.pk)
    preview = questions = None
    reading = batch.status in (ImportBatch.Status.UPLOADED, ImportBatch.Status.READING)
    if batch.status == ImportBatch.Status.PREVIEWED and batch.preview:
        preview = imports.Preview.from_stored(batch.preview, to_apply=False)
        # Her answers stay on the page when they could not be used.
        questions = [(q, imports.column_options(q, org.country), answers.get(q.index, "")) for q in preview.questions]
    stalled = reading and imports.reading_stalled(batch)
    response = render(request, "rolls/import_preview.html", {
        "org": org, "batch": batch, "preview": preview, "questions": questions, "reading": reading,
        "read_as": preview and preview.read_as_in(org.country),
        "stalled": stalled,
        "problem": batch.message if batch.status == ImportBatch.Status.REJECTED else "",
        "counts": preview and {s: preview.count(s) for s in (imports.NEW, imports.EXISTING, imports.ALREADY,
                                                            imports.ERROR)},
    })
    if reading and not stalled:
        response["Refresh"] = "3"  # as a meta refresh does, with no script: until the reading is done
    return response
