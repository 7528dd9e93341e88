import zoneinfo

from django import forms
from django.contrib.auth import password_validation

from .models import Role

TIMEZONE_CHOICES = sorted(
    (
        (tz, tz.replace("_", " "))
        for tz in zoneinfo.available_timezones()
        if "/" in tz and not tz.startswith("Etc/")
    ),
    key=lambda c: (not c[0].startswith("Australia/"), c[0]),
)


class SignupForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=150)
    email = forms.EmailField(label="Work email")
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    organization_name = forms.CharField(label="Business name", max_length=120)
    organization_slug = forms.SlugField(
        label="Address",
        max_length=50,
        required=False,
        help_text="Used in your Timeclamp links, e.g. /o/demo-cafe/. Leave empty to make one from the name.",
    )
    timezone = forms.ChoiceField(label="Time zone", choices=TIMEZONE_CHOICES, initial="Australia/Sydney")

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            try:
                password_validation.validate_password(password)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class OrganizationForm(forms.Form):
    name = forms.CharField(label="Business name", max_length=120)
    slug = forms.SlugField(
        label="Address", max_length=50, required=False, help_text="Leave empty to make one from the name."
    )
    timezone = forms.ChoiceField(label="Time zone", choices=TIMEZONE_CHOICES, initial="Australia/Sydney")


class OrganizationSettingsForm(forms.Form):
    name = forms.CharField(label="Business name", max_length=120)
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=TIMEZONE_CHOICES,
        help_text="Pay-period days are calendar days in this time zone.",
    )


class MemberInviteForm(forms.Form):
    email = forms.EmailField(label="Email")
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.STAFF)


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=150)
    password = forms.CharField(
        label="Choose a password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password
