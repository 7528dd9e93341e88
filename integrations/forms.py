"""Forms of the Xero integration pages."""

from decimal import Decimal

from django import forms

from integrations.models import PayrollSettings


class HoursField(forms.DecimalField):
    """Hours typed by a person: "7.60" and "24.000" are 7.6 and 24 (trailing zeros are not precision)."""

    def to_python(self, value):
        value = super().to_python(value)
        return value if value is None else value.normalize()


class PayrollSettingsForm(forms.Form):
    send_as = forms.ChoiceField(
        choices=PayrollSettings.SendAs.choices, error_messages={"required": "Choose Draft or Approved."}
    )
    # DecimalField refuses NaN, Infinity and a third decimal ("7.666 hours" is not what anyone means)
    overtime_after_hours = HoursField(
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal(24),
        max_digits=4,
        decimal_places=2,
        error_messages={
            "invalid": "Overtime starts after a number of hours, for example 7.6, or leave it empty.",
            "min_value": "Overtime starts after at least 0.01 hours, or leave it empty.",
            "max_value": "Overtime starts after at most 24 hours in a day.",
            "max_decimal_places": "Give the hours with at most 2 decimals, for example 7.6.",
            "max_digits": "Give the hours with at most 2 decimals, for example 7.6.",
        },
    )
    overtime_earnings_rate_id = forms.CharField(required=False, max_length=64)

    @property
    def overtime_after_minutes(self) -> int | None:
        hours = self.cleaned_data.get("overtime_after_hours")
        return None if hours is None else round(hours * 60)
