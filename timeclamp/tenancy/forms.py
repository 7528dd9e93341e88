from django import forms
from django.db import models
from django_scopes.forms import SafeModelChoiceField, SafeModelMultipleChoiceField

from .models import OrganizationOwnedModel


def _is_tenant_model(model) -> bool:
    return model is not None and issubclass(model, OrganizationOwnedModel)


def _formfield_callback(db_field, **kwargs):
    remote = getattr(db_field, "related_model", None)
    if isinstance(db_field, models.ForeignKey) and _is_tenant_model(remote):
        kwargs["form_class"] = SafeModelChoiceField
    elif db_field.many_to_many and _is_tenant_model(remote):
        kwargs["form_class"] = SafeModelMultipleChoiceField
    return db_field.formfield(**kwargs)


class OrganizationFormMixin:
    """Rebinds every choice field over a tenant-owned model to the scoped manager at __init__ time,
    i.e. inside the request's scope. A form created outside a scope raises, by design."""

    def _rebind_tenant_choices(self) -> None:
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and _is_tenant_model(queryset.model):
                field.queryset = queryset.model.objects.all()


class OrganizationForm(OrganizationFormMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._rebind_tenant_choices()


class OrganizationModelForm(OrganizationFormMixin, forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._rebind_tenant_choices()

    class Meta:
        formfield_callback = _formfield_callback
