from celery import shared_task

from core.tasks import DB_RETRY
from coupons.triggers import coupon_unused_start


@shared_task(name="coupons.start_unused_coupon_steps_task", **DB_RETRY)
def start_unused_coupon_steps_task() -> int:
    """Beat, hourly: start "coupon unused N days" step sequences."""
    return coupon_unused_start()
