"""Pages of the memorial register and the library of experiences: authorise, parse, call a
service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ayni.accounts.scope import Can
from ayni.files.http import file_response
from ayni.geo.models import Department
from ayni.lib.views import form_page
from ayni.memory import oai, selectors, services
from ayni.memory.forms import AttachForm, CorrectionForm, ExperienceForm, MemorialForm, ReasonForm, ReviewForm
from ayni.memory.models import Experience
from ayni.orgs.access import requires
from ayni.orgs.selectors import scope_roots
from ayni.people.selectors import get_person

# --- The memorial register -----------------------------------------------------------------------


@requires(Can.VIEW)
def memorial_index(request):
    """Where to read the register: the top organisations of her view."""
    return render(request, "memory/memorial_index.html", {"organisations": scope_roots(request.scope)[:20]})


@requires(Can.VIEW, on="pk")
def memorial(request, org):
    """The register of an organisation and below it: counts for anyone who sees it, names only
    for who may read them."""
    scope = request.scope
    personal = scope.holds(Can.VIEW_PERSONAL, org)
    can_edit = scope.holds(Can.EDIT, org)
    text = request.GET.get("q", "").strip()
    return render(request, "memory/memorial.html", {
        "org": org, "counts": selectors.memorial_counts(scope, org), "personal": personal, "can_edit": can_edit,
        "records": selectors.memorial_records(scope, org)[:200] if personal else None,
        "withdrawn": selectors.memorial_records(scope, org, withdrawn=True)[:50] if personal else None,
        "q": text, "found": selectors.candidates(scope, org, text)[:20] if can_edit and text else None,
    })


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def memorial_record(request, org, person):
    person = get_person(request.scope, person)
    return form_page(
        request, MemorialForm(request.POST or None),
        action=lambda data: services.record_memorial(scope=request.scope, organisation=org, person=person, **data),
        success=_("Quedó en el registro de la memoria."),
        then=lambda m: redirect("memory:memorial_detail", record=m.pk),
        template="memory/memorial_form.html",
        context={"org": org, "person": person, "title": _("Registrar en la memoria")},
    )


@requires(Can.VIEW_PERSONAL)
def memorial_detail(request, record):
    memorial = selectors.get_memorial(request.scope, record)
    return render(request, "memory/memorial_detail.html", {
        "memorial": memorial, "life": selectors.life_of(memorial.person),
        "history": selectors.history(memorial),
        "can_edit": request.scope.holds(Can.EDIT, memorial.organisation),
        "reason_form": ReasonForm(),
    })


@require_http_methods(["GET", "POST"])
@requires(Can.VIEW_PERSONAL)
def memorial_correct(request, record):
    memorial = selectors.get_memorial(request.scope, record)
    request.scope.require(Can.EDIT, memorial.organisation)
    form = CorrectionForm.of(memorial, request.POST or None)
    return form_page(
        request, form,
        action=lambda data: services.correct_memorial(scope=request.scope, memorial=memorial, **data),
        success=_("Se corrigió el registro; la versión anterior queda en su historia."),
        then=lambda m: redirect("memory:memorial_detail", record=m.pk),
        template="memory/memorial_form.html",
        context={"org": memorial.organisation, "person": memorial.person, "title": _("Corregir el registro")},
    )


@require_POST
@requires(Can.VIEW_PERSONAL)
def memorial_withdraw(request, record):
    memorial = selectors.get_memorial(request.scope, record)
    request.scope.require(Can.EDIT, memorial.organisation)
    try:
        services.withdraw_memorial(scope=request.scope, memorial=memorial, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("El registro fue retirado; sigue en la historia con su motivo."))
    return redirect("memory:memorial_detail", record=memorial.pk)


def memorial_public(request, record):
    """Her memorial page, without login, with only what her family allowed."""
    memorial = selectors.public_memorial(record)
    return render(request, "memory/memorial_public.html", {
        "memorial": memorial, "life": selectors.life_of(memorial.person) if memorial.show_positions else None,
    })


# --- The library of experiences ------------------------------------------------------------------


def experiences(request):
    """The library: search by words, topic and place; anyone reads the public ones."""
    scope = request.scope
    mine = request.GET.get("mias") == "1" and scope.holds(Can.EDIT)
    found = selectors.search_experiences(scope, words=request.GET.get("q", "")[:200],
                                         topic=request.GET.get("tema", "")[:60],
                                         place=request.GET.get("lugar", "")[:6], mine=mine)
    page = Paginator(found, 20).get_page(request.GET.get("p"))
    return render(request, "memory/experiences.html", {
        "page": page, "q": request.GET.get("q", ""), "tema": request.GET.get("tema", ""),
        "lugar": request.GET.get("lugar", ""), "mine": mine,
        "topics": selectors.topics_in_use(), "departments": Department.objects.order_by("name"),
        "writers": scope_roots(scope)[:10] if scope.holds(Can.EDIT) else [],
        "reviewer": scope.holds(Can.VALIDATE),
    })


def experience(request, exp):
    experience = selectors.get_experience(request.scope, exp)
    scope = request.scope
    return render(request, "memory/experience.html", {
        "experience": experience,
        "can_edit": scope.holds(Can.EDIT, experience.organisation) and experience.status in services.EDITABLE,
        "can_review": scope.holds(Can.VALIDATE, experience.organisation),
        "reviews": experience.reviews.select_related("by") if scope.holds(Can.EDIT, experience.organisation)
        or scope.holds(Can.VALIDATE, experience.organisation) else None,
        "statuses": Experience.Status,
    })


def experience_file(request, exp, file):
    """A photo or document, served only when its experience may be read."""
    attached = selectors.get_experience_file(request.scope, exp, file)
    return file_response(attached.file, attached.name)


@require_http_methods(["GET", "POST"])
@requires(Can.EDIT, on="pk")
def experience_new(request, org):
    form = ExperienceForm(request.POST or None, organisation=org)
    return form_page(
        request, form,
        action=lambda data: services.write_experience(scope=request.scope, organisation=org, **data),
        success=_("Se guardó el borrador. Cuando los cinco pasos estén escritos, envíelo a revisión."),
        then=lambda e: redirect("memory:experience", exp=e.pk),
        template="memory/experience_form.html", context={"org": org, "title": _("Escribir una experiencia")},
    )


@require_http_methods(["GET", "POST"])
@login_required
def experience_edit(request, exp):
    experience = selectors.get_experience(request.scope, exp)
    request.scope.require(Can.EDIT, experience.organisation)
    form = ExperienceForm.of(experience, request.POST or None)
    return form_page(
        request, form,
        action=lambda data: services.edit_experience(scope=request.scope, experience=experience, **data),
        success=_("Se guardaron los cambios."), then=lambda e: redirect("memory:experience", exp=e.pk),
        template="memory/experience_form.html",
        context={"org": experience.organisation, "experience": experience, "title": _("Editar la experiencia")},
    )


@require_http_methods(["GET", "POST"])
@login_required
def experience_attach(request, exp):
    experience = selectors.get_experience(request.scope, exp)
    request.scope.require(Can.EDIT, experience.organisation)
    form = AttachForm(request.POST or None, request.FILES or None)
    return form_page(
        request, form,
        action=lambda data: services.attach_file(scope=request.scope, experience=experience, **data),
        success=_("Se añadió el archivo."), then=lambda _f: redirect("memory:experience", exp=experience.pk),
        template="memory/experience_attach.html", context={"experience": experience},
    )


def _button(request, call, success):
    try:
        call()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)


@require_POST
@login_required
def experience_submit(request, exp):
    experience = selectors.get_experience(request.scope, exp)
    request.scope.require(Can.EDIT, experience.organisation)
    _button(request, lambda: services.submit_experience(scope=request.scope, experience=experience),
            _("Se envió a revisión de la federación."))
    return redirect("memory:experience", exp=experience.pk)


@require_http_methods(["GET", "POST"])
@login_required
def experience_review(request, exp):
    experience = selectors.get_experience(request.scope, exp)
    request.scope.require(Can.VALIDATE, experience.organisation)
    return form_page(
        request, ReviewForm(request.POST or None),
        action=lambda data: services.review_experience(scope=request.scope, experience=experience, **data),
        success=lambda r: _("Experiencia publicada.") if r.decision == "publish" else _("Devuelta con observaciones."),
        then=lambda _r: redirect("memory:experience", exp=experience.pk),
        template="memory/experience_review.html", context={"experience": experience},
    )


@require_POST
@login_required
def experience_withdraw(request, exp):
    experience = selectors.get_experience(request.scope, exp)
    request.scope.require(Can.VALIDATE, experience.organisation)
    _button(request, lambda: services.withdraw_experience(scope=request.scope, experience=experience,
                                                          reason=request.POST.get("reason", "")),
            _("Se retiró la publicación."))
    return redirect("memory:experience", exp=experience.pk)


@requires(Can.VALIDATE)
def review_queue(request):
    return render(request, "memory/review_queue.html", {"queue": selectors.review_queue(request.scope)[:100]})


@csrf_exempt  # harvesters POST form-encoded arguments; nothing is changed
@require_http_methods(["GET", "POST"])
def oai_pmh(request):
    """The OAI-PMH 2.0 endpoint: public experiences in Dublin Core, for libraries to harvest."""
    return oai.respond(request)
