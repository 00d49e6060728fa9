"""Rich menu background work: the API's batch operation."""

from celery import shared_task

from core.tasks import DB_RETRY
from richmenu.services import richmenu_batch_run


@shared_task(name="richmenu.richmenu_batch_run_task", **DB_RETRY)
def richmenu_batch_run_task(batch_id: int) -> None:
    """Run one accepted batch; a second delivery does nothing."""
    richmenu_batch_run(batch_id=batch_id)
