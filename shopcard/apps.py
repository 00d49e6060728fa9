from django.apps import AppConfig


class ShopcardConfig(AppConfig):
    name = "shopcard"
