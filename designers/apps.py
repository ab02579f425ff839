from django.apps import AppConfig


class DesignersConfig(AppConfig):
    name = "designers"
