"""System checks that fail when someone forgets tenancy or ships unsafe production settings."""

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from timeclamp.tenancy.models import OrganizationOwnedModel

OUR_APPS = {"staff", "timesheets", "integrations"}


def unscoped_models() -> list[str]:
    """Every concrete model of ours that is neither tenant-owned (and scoped) nor declared global."""
    offenders = []
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        label = model._meta.label
        if label in settings.TENANT_GLOBAL_MODELS:
            continue
        scoped_default = type(model._default_manager).__qualname__.endswith(
            "OrganizationScopedManager.<locals>.Manager"
        )
        if not (issubclass(model, OrganizationOwnedModel) and scoped_default):
            offenders.append(label)
    return offenders


@register(Tags.models)
def check_tenant_models_are_scoped(app_configs=None, **kwargs):
    return [
        Error(
            f"{label} is not tenant-scoped.",
            hint="Inherit timeclamp.tenancy.models.OrganizationOwnedModel, or add it to TENANT_GLOBAL_MODELS.",
            id="timeclamp.E001",
        )
        for label in unscoped_models()
    ]


@register(Tags.security, deploy=True)
def check_production_secrets(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    if not getattr(settings, "TOKEN_ENCRYPTION_KEYS", None):
        return [Warning("TOKEN_ENCRYPTION_KEYS is empty: Xero tokens cannot be stored.", id="timeclamp.W001")]
    return []
