import datetime
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.template.defaultfilters import filesizeformat

from .models import XERO_NAME_MAX_LENGTH, Membership, Organization, Role, StaffMember, User
from .validation import EARLIEST_DATE_OF_BIRTH, clean_date_of_birth, clean_person_name

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


# --- Staff menu ----------------------------------------------------------------------------------
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]  # the date picker sends ISO; typed-in AU dates also work


def _date_widget(**attrs) -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", **attrs}, format="%Y-%m-%d")


class LoginChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email


class StaffMemberForm(forms.Form):
    """Add or edit a staff record. Names and date of birth use the same rules as the services and the
    CSV import (staff/validation.py); uniqueness is the service's job."""

    first_name = forms.CharField(
        label="First name",
        strip=False,
        error_messages={"required": "First name is required."},
        widget=forms.TextInput(attrs={"maxlength": XERO_NAME_MAX_LENGTH, "autocomplete": "off"}),
    )
    middle_names = forms.CharField(
        label="Middle name(s)",
        strip=False,
        required=False,
        widget=forms.TextInput(attrs={"maxlength": XERO_NAME_MAX_LENGTH, "autocomplete": "off"}),
    )
    last_name = forms.CharField(
        label="Last name",
        strip=False,
        error_messages={"required": "Last name is required."},
        widget=forms.TextInput(attrs={"maxlength": XERO_NAME_MAX_LENGTH, "autocomplete": "off"}),
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        input_formats=DATE_INPUT_FORMATS,
        error_messages={
            "required": "Date of birth is required: Xero Payroll needs it to match this person.",
            "invalid": "Enter a real date of birth, e.g. 3 March 1990.",
        },
        widget=_date_widget(min=EARLIEST_DATE_OF_BIRTH.isoformat()),
    )
    email = forms.EmailField(
        label="Email", max_length=StaffMember._meta.get_field("email").max_length, required=False
    )
    employee_code = forms.CharField(
        label="Employee code",
        max_length=StaffMember._meta.get_field("employee_code").max_length,
        required=False,
        help_text="Your payroll or badge number. Must be unique in your organisation.",
    )
    start_date = forms.DateField(
        label="Start date",
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        error_messages={"invalid": "Enter a real start date, e.g. 1 July 2024."},
        widget=_date_widget(),
    )
    is_active = forms.BooleanField(label="Active: can record time", required=False, initial=True)
    user = LoginChoiceField(
        label="Timeclamp login",
        queryset=User.objects.none(),
        required=False,
        empty_label="No login: a manager records their time",
        help_text="Link the login this person uses, so they can enter their own time. "
        "Invite them first under Settings > Members.",
    )

    def __init__(self, *args, organization: Organization, staff_member: StaffMember | None = None, **kwargs):
        if staff_member is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                name: getattr(staff_member, name) for name in self.base_fields if name != "user"
            } | {"user": staff_member.user_id}
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.staff_member = staff_member
        self.fields["date_of_birth"].widget.attrs["max"] = organization.today().isoformat()
        # User is a global model: only members of this organisation, minus logins already linked to
        # someone else. The currently linked login stays listed so the select shows the truth.
        linked_elsewhere = StaffMember.objects.filter(organization=organization, user__isnull=False)
        if staff_member is not None:
            linked_elsewhere = linked_elsewhere.exclude(pk=staff_member.pk)
        members = Membership.objects.filter(organization=organization).values("user_id")
        queryset = User.objects.filter(pk__in=members).exclude(pk__in=linked_elsewhere.values("user_id"))
        if staff_member is not None and staff_member.user_id is not None:
            queryset = queryset | User.objects.filter(pk=staff_member.user_id)
        self.fields["user"].queryset = queryset.order_by("email")
        if staff_member is not None and staff_member.is_archived:
            # Archived people are inactive; restoring them (not this checkbox) brings them back.
            del self.fields["is_active"]

    # validation.py raises django's ValidationError, which is what a form's clean_<field>() raises too.
    def _clean_name(self, field: str, *, required: bool) -> str:
        return clean_person_name(
            self.cleaned_data.get(field), label=self.fields[field].label, required=required
        )

    def clean_first_name(self) -> str:
        return self._clean_name("first_name", required=True)

    def clean_middle_names(self) -> str:
        return self._clean_name("middle_names", required=False)

    def clean_last_name(self) -> str:
        return self._clean_name("last_name", required=True)

    def clean_date_of_birth(self) -> datetime.date | None:
        return clean_date_of_birth(self.cleaned_data.get("date_of_birth"), today=self.organization.today())

    def clean_employee_code(self) -> str:
        return self.cleaned_data.get("employee_code", "").strip()


class StaffImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        error_messages={
            "required": "Choose a CSV file to upload.",
            "empty": "The file is empty. Add a header row and one row per person.",
        },
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"Up to {settings.STAFF_IMPORT_MAX_ROWS:,} people and "
            f"{filesizeformat(settings.STAFF_IMPORT_MAX_BYTES)}. In Excel: File > Save As > "
            "CSV UTF-8 (Comma delimited)."
        )
