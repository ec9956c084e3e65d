"""Leadership's invariants, for `ayni check-integrity`: completion as stored equals a recount of
attendance, every issued credential verifies against its issuer's key, and the equity roll-up
equals a count of the memberships."""

from django.utils.translation import gettext as _

from ayni.leadership import equity, keys, services, verification
from ayni.leadership.models import Certificate, Enrolment, IssuerKey


def check_completion() -> list[str]:
    problems = []
    for enrolment in Enrolment.objects.select_related("person", "programme").iterator(chunk_size=500):
        attended, final, completed_on = services.recount(enrolment)
        if (attended, final, completed_on) != (enrolment.sessions_attended, enrolment.final_attended,
                                               enrolment.completed_on):
            problems.append(_("%(name)s en «%(programme)s»: guardado %(stored)s sesiones, completó %(done)s; "
                              "recontado %(count)s, %(redone)s.") % {
                "name": enrolment.person.full_name, "programme": enrolment.programme.name,
                "stored": enrolment.sessions_attended, "done": enrolment.completed_on, "count": attended,
                "redone": completed_on})
    return problems


def check_credentials() -> list[str]:
    problems = []
    for certificate in Certificate.objects.select_related("key").iterator(chunk_size=500):
        answer = verification.by_credential(certificate.credential)
        expected = verification.REVOKED if certificate.revoked_at else verification.VALID
        if answer.state != expected or (answer.certificate and answer.certificate.pk != certificate.pk):
            problems.append(_("El certificado %(code)s no verifica con la clave %(kid)s: %(state)s %(reason)s.") % {
                "code": certificate.code, "kid": certificate.key.kid, "state": answer.state, "reason": answer.reason})
        if certificate.enrolment_id and not Enrolment.objects.filter(pk=certificate.enrolment_id,
                                                                     completed_on__isnull=False).exists():
            problems.append(_("El certificado %(code)s es de alguien que no completó la escuela.")
                            % {"code": certificate.code})
    return problems


def check_signing_keys() -> list[str]:
    """Every active signing key opens under the key-encryption key (and is the pair of the key it
    publishes); one still wrapped under SECRET_KEY is named, since changing SECRET_KEY would lose it."""
    problems = []
    for key in IssuerKey.objects.filter(retired_at__isnull=True).select_related("organisation").order_by("pk"):
        why = keys.opens(key)
        if why:
            problems.append(_("La clave de firma de %(org)s no se puede abrir: %(why)s.")
                            % {"org": key.organisation.name, "why": why})
        elif key.wrapped_by == keys.LEGACY:
            problems.append(_("La clave de firma de %(org)s sigue cifrada con SECRET_KEY: ejecute "
                              "«ayni leadership-keys» antes de cambiarla.") % {"org": key.organisation.name})
    return problems


def check_equity() -> list[str]:
    """Every cell of the equity roll-up built today from its current revision equals a count of
    its memberships; no figures are left for a place that is no longer a cell."""
    return equity.check()
