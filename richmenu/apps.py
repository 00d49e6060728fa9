from django.apps import AppConfig


class RichmenuConfig(AppConfig):
    name = "richmenu"
