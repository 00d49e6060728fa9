from django.apps import AppConfig


class ShopcardConfig(AppConfig):
    name = "shopcard"

    def ready(self):
        # Segment conditions on points, completed cards and tickets.
        from shopcard import conditions  # noqa: F401
