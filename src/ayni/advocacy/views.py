"""Advocacy pages: the organisation's own (signed in, `/incidencia/`) and the public scorecard
(no login, `/compromisos/`). Authorise, parse, call one service or selector, render."""

import datetime

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ayni.accounts.scope import Can
from ayni.advocacy import outbox, publication, selectors, services
from ayni.advocacy.forms import (
    AuthorityForm,
    CommitmentForm,
    EvidenceForm,
    LawForm,
    MilestoneForm,
    RatingForm,
    RoundForm,
    StageForm,
)
from ayni.capture import outbox_batch
from ayni.capture.models import Inbound
from ayni.files.http import file_response
from ayni.lib import exports, pdf
from ayni.lib.views import button, form_page, to
from ayni.orgs.access import requires
from ayni.orgs.selectors import scope_roots


def _to_commitment(commitment):
    return redirect("advocacy:commitment", pk=commitment.organisation_id, commitment=commitment.pk)


@login_required
def index(request):
    """Her organisations, to reach their commitments, and the authorities."""
    return render(
        request,
        "advocacy/index.html",
        {"organisations": scope_roots(request.scope)[:30], "can_edit": request.scope.holds(Can.EDIT)},
    )


@requires(Can.VIEW, on="pk")
def commitments(request, org):
    overdue = request.GET.get("vencidos") == "1"
    qs = selectors.commitments_under(request.scope, org)
    if overdue:
        qs = qs.filter(overdue=True)
    can_edit = request.scope.holds(Can.EDIT, org)
    return render(
        request,
        "advocacy/commitments.html",
        {
            "org": org,
            "commitments": qs[:200],
            "overdue": overdue,
            "can_edit": can_edit,
            "today": timezone.localdate(),
            "agreements": selectors.agreements_to_commit(request.scope, org)[:20] if can_edit else [],
        },
    )


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def commitment_add(request, org):
    form = CommitmentForm(
        request.POST or None,
        request.FILES or None,
        authorities=selectors.authorities(),
        laws=selectors.laws_for(request.scope, org),
    )
    return form_page(
        request,
        form,
        template="advocacy/form.html",
        action=lambda _data: services.record_commitment(scope=request.scope, organisation=org, **form.service_data()),
        success=_("Compromiso registrado."),
        then=_to_commitment,
        context={"org": org, "title": _("Registrar un compromiso"), "multipart": True},
    )


@require_POST
@requires(Can.EDIT, on="pk")
def from_agreement(request, org, agreement):
    agreement = selectors.get_agreement_to_commit(request.scope, org, agreement)
    commitment = button(
        request,
        lambda: services.commitment_from_agreement(scope=request.scope, agreement=agreement),
        _("El acuerdo quedó registrado como compromiso."),
    )
    return _to_commitment(commitment) if commitment else redirect("advocacy:commitments", pk=org.pk)


@requires(Can.VIEW, on="pk")
def commitment(request, org, commitment):
    commitment = selectors.get_commitment(request.scope, org, commitment)
    can_edit = request.scope.holds(Can.EDIT, org)
    return render(
        request,
        "advocacy/commitment.html",
        {
            "org": org,
            "c": commitment,
            "history": selectors.history(commitment),
            "evidence": selectors.evidence_of(commitment),
            "can_edit": can_edit,
            "personal": request.scope.holds(Can.VIEW_PERSONAL, org),
            "figures": selectors.delivery_figures(commitment),
            "days_overdue": commitment.days_overdue(),
            "stage_form": StageForm(initial={"stage": commitment.stage, "on": timezone.localdate()})
            if can_edit
            else None,
            "evidence_form": EvidenceForm() if can_edit else None,
        },
    )


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def stage(request, org, commitment):
    commitment = selectors.get_commitment(request.scope, org, commitment)
    form = StageForm(
        request.POST or None, request.FILES or None, initial={"stage": commitment.stage, "on": timezone.localdate()}
    )

    def action(data):
        upload = data.pop("file")
        return services.change_stage(
            scope=request.scope, commitment=commitment, files=[upload] if upload else [], **data
        )

    return form_page(
        request,
        form,
        action=action,
        template="advocacy/form.html",
        success=_("Etapa del compromiso anotada."),
        then=lambda _r: _to_commitment(commitment),
        context={
            "org": org,
            "c": commitment,
            "title": _("Seguimiento del compromiso N° %(n)s") % {"n": commitment.pk},
            "multipart": True,
            "note": commitment.text,
        },
    )


@require_POST
@requires(Can.EDIT, on="pk")
def stage_batch(request, org, commitment):
    """The outbox's batch for one commitment's follow-ups: each item stored raw in capture, then
    processed once (the same client id sent again returns its first result)."""
    commitment = selectors.get_commitment(request.scope, org, commitment)
    return outbox_batch.batch_response(
        request.body, scope=request.scope, kitchen=org, kind=Inbound.Kind.FOLLOW_UP, record_id=commitment.pk,
        keep=lambda k, v: k in outbox.FIELDS and isinstance(v, str), extra={"commitment": commitment.pk})


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def evidence_add(request, org, commitment):
    commitment = selectors.get_commitment(request.scope, org, commitment)
    form = EvidenceForm(request.POST or None, request.FILES or None)

    def action(data):
        upload = data.pop("file")
        return services.add_evidence(
            scope=request.scope, commitment=commitment, files=[upload] if upload else [], **data
        )

    return form_page(
        request,
        form,
        action=action,
        template="advocacy/form.html",
        success=_("Evidencia guardada."),
        then=lambda _r: _to_commitment(commitment),
        context={
            "org": org,
            "c": commitment,
            "title": _("Añadir evidencia"),
            "multipart": True,
            "note": commitment.text,
        },
    )


@require_POST
@requires(Can.EDIT, on="pk")
def evidence_publish(request, org, commitment, evidence):
    commitment = selectors.get_commitment(request.scope, org, commitment)
    evidence = selectors.get_evidence(commitment, evidence)
    publish = request.POST.get("published") == "1"
    button(
        request,
        lambda: services.publish_evidence(scope=request.scope, evidence=evidence, published=publish),
        _("Publicado.") if publish else _("Ya no se publica."),
    )
    return _to_commitment(commitment)


@requires(Can.VIEW_PERSONAL, on="pk")
def evidence_file(request, org, commitment, evidence):
    """A file of the organisation's own record, published or not: for those who see its people,
    since a signed acta carries names and signatures."""
    evidence = selectors.get_evidence(selectors.get_commitment(request.scope, org, commitment), evidence)
    if evidence.file_id is None:  # a link is shown as itself; this address never redirects elsewhere
        raise Http404
    return file_response(evidence.file, evidence.name)


@login_required
def authorities(request):
    return render(
        request,
        "advocacy/authorities.html",
        {
            "authorities": selectors.authorities()[:300],
            "can_edit": request.scope.holds(Can.EDIT),
            "this_year": timezone.localdate().year,
        },
    )


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT)
def authority_add(request):
    return form_page(
        request,
        AuthorityForm(request.POST or None),
        template="advocacy/form.html",
        action=lambda data: services.register_authority(scope=request.scope, **data),
        success=_("Autoridad registrada."),
        then=to("advocacy:authorities"),
        context={"title": _("Registrar autoridad o candidata(o)")},
    )


@require_POST
@requires(Can.EDIT)
def authority_elected(request, authority):
    authority = selectors.get_authority(authority)
    button(
        request,
        lambda: services.mark_elected(scope=request.scope, authority=authority, on=timezone.localdate()),
        _("Anotada(o) como autoridad electa; sus compromisos de campaña siguen con ella(él)."),
    )
    return redirect("advocacy:authorities")


@requires(Can.VIEW, on="pk")
def laws(request, org):
    return render(
        request,
        "advocacy/laws.html",
        {"org": org, "laws": selectors.laws_for(request.scope, org), "can_edit": request.scope.holds(Can.EDIT, org)},
    )


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def law_add(request, org):
    return form_page(
        request,
        LawForm(request.POST or None),
        template="advocacy/form.html",
        action=lambda data: services.follow_law(scope=request.scope, organisation=org, **data),
        success=_("Ley o demanda registrada."),
        then=to("advocacy:laws", pk=org.pk),
        context={"org": org, "title": _("Seguir una ley o demanda")},
    )


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def milestone_add(request, org, law):
    law = selectors.get_law(request.scope, org, law)
    return form_page(
        request,
        MilestoneForm(request.POST or None),
        template="advocacy/form.html",
        action=lambda data: services.add_milestone(scope=request.scope, law=law, **data),
        success=_("Hito anotado."),
        then=to("advocacy:laws", pk=org.pk),
        context={"org": org, "title": _("Hito de %(law)s") % {"law": law.title}},
    )


@requires(Can.VIEW, on="pk")
def rounds(request, org):
    rounds_qs = selectors.rounds_for(request.scope, org)
    return render(
        request,
        "advocacy/rounds.html",
        {
            "org": org,
            "rounds": rounds_qs[:20],
            "results": selectors.score_results(rounds_qs),
            "can_edit": request.scope.holds(Can.EDIT, org),
            "today": timezone.localdate(),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def round_add(request, org):
    return form_page(
        request,
        RoundForm(request.POST or None),
        template="advocacy/form.html",
        action=lambda data: services.open_round(scope=request.scope, organisation=org, **data),
        success=_("Ronda de calificación convocada."),
        then=to("advocacy:rounds", pk=org.pk),
        context={"org": org, "title": _("Convocar una ronda de calificación")},
    )


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def rate(request, org, round):
    score_round = selectors.get_round(request.scope, org, round)
    return form_page(
        request,
        RatingForm(request.POST or None),
        template="advocacy/form.html",
        action=lambda data: services.rate(scope=request.scope, score_round=score_round, kitchen=org, **data),
        success=_("Calificación guardada. Gracias."),
        then=to("advocacy:rounds", pk=org.pk),
        context={"org": org, "title": str(score_round), "note": _("Califique de 1 (muy mal) a 5 (muy bien).")},
    )


# --- The public scorecard ----------------------------------------------------------------------------


def _page_number(request) -> int:
    try:
        return max(1, min(int(request.GET.get("pagina", "1")), 10_000))
    except ValueError:
        return 1


def _public_context(view: selectors.PublicView, number: int, today: datetime.date) -> dict:
    counts = view.counts()
    page = view.page(number)
    figures = {}  # commitments held to the same schedule (same federation, municipality, period) share one sum
    for c in page:
        c.late_days = c.days_overdue(today)
        key = (c.organisation.path, c.municipality_id, c.delivery_from, c.delivery_to)
        if c.links_deliveries and key not in figures:
            figures[key] = selectors.delivery_figures(c, today)
        c.figures = figures.get(key)
    pages = max(1, -(-counts["total"] // selectors.PAGE))
    return {
        "view": view,
        "counts": counts,
        "page": page,
        "number": number,
        "pages": pages,
        "evidence": selectors.published_evidence(page),
        "history": selectors.public_history([c.pk for c in page]),
        "results": view.results(),
        "laws": view.laws(),
        "today": today,
    }


def public_page(request, kind, key):
    """The public scorecard of the country, an authority, a municipality or a federation: no
    login, overdue first with the days overdue, published evidence only, delivery figures and
    score-card results; 20 commitments a page. Drawn once per edition and kept
    (`publication.py`); a return visit with the same ETag is answered 304, without a body."""
    number, today, language = _page_number(request), timezone.localdate(), get_language()
    cache_key = publication.page_key(publication.edition(), kind, str(key), number, language, today)

    def draw() -> dict:
        view = selectors.PublicView(kind, key)  # not found: nothing kept
        context = _public_context(view, number, today)
        for c in context["page"]:
            c.public_files = context["evidence"].get(c.pk, [])
            c.public_changes = context["history"].get(c.pk, [])
        body = render_to_string("advocacy/_public_body.html", {**context, "kind": kind, "key": key})
        return {"body": body, "title": view.title}

    page = publication.kept(cache_key, draw)
    # The shell differs for someone signed in (her menu): her ETag is her own.
    viewer = request.user.pk if request.user.is_authenticated else ""
    etag = f'"{page["etag"]}{language}{viewer}"'
    modified = page["drawn_at"].timestamp()
    response = get_conditional_response(request, etag=etag, last_modified=modified)
    if response is None:
        response = render(
            request,
            "advocacy/public.html",
            {
                "body": mark_safe(page["body"]),  # noqa: S308 - drawn from our template
                "title": page["title"],
            },
        )
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified)
    # Any cache may keep it, and must ask again each time: after a change the answer is new.
    response["Cache-Control"] = "public, no-cache"
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response


COLUMNS = [
    "id",
    "autoridad",
    "cargo",
    "candidata",
    "territorio",
    "organizacion",
    "ubigeo_municipio",
    "municipio",
    "tipo",
    "compromiso",
    "fecha",
    "plazo",
    "etapa",
    "vencido",
    "dias_vencido",
]


def _rows(view: selectors.PublicView, today: datetime.date):
    qs = view.commitments.order_by("-overdue", "due_sort", "pk").values_list(
        "pk",
        "authority__name",
        "authority__office",
        "authority__is_candidate",
        "authority__territory_name",
        "organisation__name",
        "municipality_id",
        "municipality__name",
        "kind",
        "text",
        "made_on",
        "deadline",
        "stage",
        "overdue",
    )
    for row in qs.iterator(chunk_size=2000):
        (pk, name, office, candidate, territory, org, ubigeo, muni, kind, text, made_on, deadline, stage, overdue) = row
        yield [
            pk,
            name,
            office,
            candidate,
            territory,
            org,
            ubigeo or "",
            muni or "",
            kind,
            text,
            made_on,
            deadline,
            stage,
            overdue,
            max(0, (today - deadline).days) if overdue and deadline else 0,
        ]


def public_data(request, kind, key, fmt):
    """The commitments of a public page as open data (CSV or JSON): what the page shows, every
    page at once; no person but the authorities, whose offices are public."""
    if fmt not in ("csv", "json"):
        raise Http404
    view = selectors.PublicView(kind, key)
    today = timezone.localdate()
    rows = _rows(view, today)
    if fmt == "json":

        def cell(v):
            return exports.csv_cell(v) if isinstance(v, datetime.date) else exports.neutralise(v)

        items = [dict(zip(COLUMNS, [cell(v) for v in r], strict=True)) for r in rows]
        response = JsonResponse(
            {"generado": today.isoformat(), "ambito": kind, "clave": key, "titulo": view.title, "compromisos": items},
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = HttpResponse(exports.csv_bytes(COLUMNS, rows), content_type=exports.CSV_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="ayni-compromisos-{kind}-{key}.csv"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


def public_brief(request, kind, key):
    """The public page as a printable A4 brief (PDF)."""
    view = selectors.PublicView(kind, key)
    today = timezone.localdate()
    context = _public_context(view, 1, today)
    html = render(request, "advocacy/brief.html", {**context, "generated": timezone.localtime()}).content.decode()
    response = HttpResponse(
        pdf.html_to_pdf(html, base_url=request.build_absolute_uri("/")), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="ayni-compromisos-{kind}-{key}.pdf"'
    return response


def public_file(request, evidence):
    """A published evidence file; an unpublished one is not found, as one that never existed."""
    evidence = selectors.public_file(evidence)
    response = file_response(evidence.file, evidence.name)
    # Never kept by a cache: a file the organisation unpublishes must stop being served at once.
    response["Cache-Control"] = "no-cache"
    return response
