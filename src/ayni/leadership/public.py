"""The public side of certificates, with no login: the verification page (from the code typed or
the QR), the issuers' keys (JWKS), their status lists, and the achievements and issuer profiles
the credentials point to. Unknown codes are throttled per address."""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from ayni.leadership import credentials, services, verification
from ayni.leadership.models import Programme
from ayni.lib.net import client_address
from ayni.orgs.models import Organisation


def _answer(request, code: str):
    answer = verification.by_code(code, address=client_address(request) or "?")
    if answer.state == verification.THROTTLED:
        return render(request, "leadership/verify.html", {"throttled": True}, status=429)
    status = 404 if answer.state == verification.UNKNOWN else 200
    return render(
        request,
        "leadership/verify.html",
        {
            "answer": answer,
            "code": credentials.show_code(credentials.normalise_code(code)),
            "typed": code,
        },
        status=status,
    )


@require_GET
def lookup(request):
    """Type the code printed on the certificate."""
    code = request.GET.get("codigo", "")
    if code:
        normal = credentials.normalise_code(code)
        if len(normal) == credentials.CODE_LENGTH:
            return redirect("verify:code", code=normal)
        return _answer(request, code)
    return render(request, "leadership/verify.html")


@require_GET
def code(request, code):
    """Where the certificate's QR leads."""
    return _answer(request, code)


def _issuer(pk) -> Organisation:
    org = verification.issuer(pk)
    if org is None:
        raise Http404
    return org


@require_GET
@cache_control(public=True, max_age=300)
def jwks(request, pk):
    return JsonResponse(verification.jwks(_issuer(pk)))


@require_GET
@cache_control(public=True, max_age=300)
def issuer(request, pk):
    org = _issuer(pk)
    return JsonResponse(
        {
            "@context": credentials.CONTEXTS,
            "id": services.public_url("verify:issuer", pk=org.pk),
            "type": ["Profile"],
            "name": org.name,
            "verificationMethod": services.public_url("verify:jwks", pk=org.pk),
        }
    )


@require_GET
@cache_control(public=True, max_age=60)
def status_list(request, pk):
    """The issuer's Bitstring Status List credential, signed with its active key (VC-JWT)."""
    org = _issuer(pk)
    token = verification.signed_status_list(
        org,
        services.public_url("verify:status_list", pk=org.pk),
        services.public_url("verify:issuer", pk=org.pk),
        signing_key=lambda: services.active_key(org),
    )
    return HttpResponse(token, content_type="application/vc+jwt")


@require_GET
@cache_control(public=True, max_age=300)
def achievement(request, pk):
    """What a credential says she achieved: public once one certificate of it was issued."""
    programme = (
        Programme.objects.filter(pk=pk, enrolments__certificate__isnull=False).select_related("organisation").first()
    )
    if programme is None:
        raise Http404
    return JsonResponse(
        {
            "@context": credentials.CONTEXTS,
            "id": services.public_url("verify:achievement", pk=programme.pk),
            "type": ["Achievement"],
            "name": programme.name,
            "description": programme.description or programme.topic,
            "creator": services.public_url("verify:issuer", pk=programme.organisation_id),
        }
    )
