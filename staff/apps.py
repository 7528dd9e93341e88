from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Organisations and staff"

    def ready(self) -> None:
        from staff import receivers  # noqa: F401 - connects the signal receivers
