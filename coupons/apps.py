from django.apps import AppConfig


class CouponsConfig(AppConfig):
    name = "coupons"

    def ready(self):
        # Coupon bubbles (validation, drawing, the composer's list) and the
        # coupon segment conditions join registries of ``messaging``.
        from coupons import conditions, hooks  # noqa: F401

        hooks.register()
