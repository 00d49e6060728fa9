from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "research"

    def ready(self) -> None:
        # "Answered survey X" and "answered …" join the audience registry.
        from research import conditions  # noqa: F401
