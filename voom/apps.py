from django.apps import AppConfig


class VoomConfig(AppConfig):
    name = "voom"
