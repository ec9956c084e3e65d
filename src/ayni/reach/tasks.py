"""Reach's background work (django-tasks, the database backend's worker): saving the daily
reports that ODK Collect sent and that were answered as soon as they were stored."""

from django_tasks import task


@task()
def save_submissions() -> int:
    from ayni.reach.services import save_pending

    return save_pending()
