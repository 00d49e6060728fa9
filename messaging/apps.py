from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"

    def ready(self) -> None:
        # Segment conditions of packages above ``messaging.audience`` join its
        # registry (``messaging.audience.conditions.register``).
        from messaging.audience import groups  # noqa: F401
        from messaging.broadcasts import conditions  # noqa: F401
