"""Background work of leadership: a school's certificates are signed by the task worker, so that
a school of hundreds (or a national campaign of thousands) never holds a page open."""

from django_tasks import task

from ayni.accounts.models import User
from ayni.accounts.scope import Scope
from ayni.leadership import services
from ayni.leadership.models import Programme


@task()
def issue_programme_certificates(programme_id: int, user_id: int | None) -> int:
    """Certificates for everyone of the programme who completed, as the account that asked (it
    sees no more than she would); the number issued."""
    programme = Programme.objects.select_related("organisation").get(pk=programme_id)
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    return services.issue_certificates(scope=Scope.acting_for(user, otherwise=None), programme=programme)
