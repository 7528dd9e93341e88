from django.apps import AppConfig


class TimeclampConfig(AppConfig):
    name = "timeclamp"

    def ready(self) -> None:
        from . import checks  # noqa: F401  registers the system checks
