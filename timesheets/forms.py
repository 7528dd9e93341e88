"""Input cleaning for the timesheet pages. Business rules (overlaps, limits, DST) live in the services;
these forms only turn text into dates, times and numbers, and check the team period's shape."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from .formatting import format_day
from .models import MAX_BREAK_MINUTES, TimeEntry
from .selectors import MAX_PERIOD_DAYS, iso_week_parse

# What people type when the browser has no time picker: 17:30, 5:30 pm, 5:30pm, 5.30pm, 1730.
TIME_INPUT_FORMATS = [
    "%H:%M",
    "%H:%M:%S",
    "%I:%M %p",
    "%I:%M%p",
    "%I.%M%p",
    "%I.%M %p",
    "%H.%M",
    "%H%M",
    "%I %p",
    "%I%p",
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


class TimeEntryForm(forms.Form):
    work_date = forms.DateField(label="Date", widget=DateInput())
    start_time = forms.TimeField(label="Start", input_formats=TIME_INPUT_FORMATS, widget=TimeInput())
    end_time = forms.TimeField(label="Finish", input_formats=TIME_INPUT_FORMATS, widget=TimeInput())
    ends_next_day = forms.BooleanField(label="Finishes next day (after midnight)", required=False)
    break_minutes = forms.IntegerField(
        label="Unpaid break (minutes)",
        required=False,
        initial=0,
        widget=forms.NumberInput(
            attrs={"min": 0, "max": MAX_BREAK_MINUTES, "step": 1, "inputmode": "numeric"}
        ),
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "e.g. covered the late close"}),
    )

    def __init__(self, *args, allow_open: bool = False, prefix_id: str = "", **kwargs):
        """``allow_open``: the entry is clocked in, so the finish time may stay empty.
        ``prefix_id`` keeps element ids unique when several forms share a page."""
        if prefix_id:
            kwargs.setdefault("auto_id", f"id_{prefix_id}_%s")
        super().__init__(*args, **kwargs)
        if allow_open:
            self.fields["end_time"].required = False
            self.fields["end_time"].help_text = "Leave empty while the shift is still running."

    def clean_break_minutes(self) -> int:
        return self.cleaned_data.get("break_minutes") or 0

    @staticmethod
    def initial_for(entry: TimeEntry, tz) -> dict:
        start = timezone.localtime(entry.start_at, tz)
        end = timezone.localtime(entry.end_at, tz) if entry.end_at else None
        return {
            "work_date": entry.work_date,
            "start_time": start.time().replace(second=0, microsecond=0),
            "end_time": end.time().replace(second=0, microsecond=0) if end else None,
            "ends_next_day": bool(end and end.date() > entry.work_date),
            "break_minutes": entry.break_minutes,
            "notes": entry.notes,
        }

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "work_date": data["work_date"],
            "start_time": data["start_time"],
            "end_time": data.get("end_time"),
            "ends_next_day": data.get("ends_next_day", False),
            "break_minutes": data.get("break_minutes") or 0,
            "notes": data.get("notes", ""),
        }


class ClockForm(forms.Form):
    """The clock button. ``action`` says what the person saw, so a double tap cannot clock them in
    and straight back out."""

    action = forms.ChoiceField(choices=[("in", "Clock in"), ("out", "Clock out")], widget=forms.HiddenInput)
    break_minutes = forms.IntegerField(
        label="Unpaid break (minutes)",
        required=False,
        widget=forms.NumberInput(
            attrs={"min": 0, "max": MAX_BREAK_MINUTES, "step": 1, "inputmode": "numeric"}
        ),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="Why reopen this entry?",
        max_length=500,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "e.g. finish time should be 4:30 pm, not 5:30 pm"}
        ),
        help_text="Recorded with your name. The staff member can then correct the entry and submit it again.",
    )

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise ValidationError("Say why the entry is reopened.")
        return reason


class IdListField(forms.Field):
    """Several ``name=<id>`` values (checkboxes) as a sorted list of ints."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError) as exc:
            raise ValidationError("That selection is not valid. Reload the page and try again.") from exc


class ApproveForm(forms.Form):
    """Approve the ticked entries, the ticked people's submitted entries in a period, or every
    submitted entry in a period (``scope=period``)."""

    entry = IdListField(required=False)
    staff_member = IdListField(required=False)
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)
    scope = forms.ChoiceField(
        choices=[
            ("entries", "Selected entries"),
            ("selected", "Selected people"),
            ("period", "Whole period"),
        ],
        required=False,
    )

    def clean(self):
        cleaned = super().clean()
        scope = cleaned.get("scope") or ("entries" if cleaned.get("entry") else "period")
        cleaned["scope"] = scope
        if scope == "entries":
            if not cleaned.get("entry"):
                raise ValidationError("Tick at least one submitted entry to approve.")
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if not start or not end:
            raise ValidationError("The period to approve is missing. Reload the page and try again.")
        if end < start:
            raise ValidationError("The period ends before it starts.")
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise ValidationError(f"Approve at most {MAX_PERIOD_DAYS} days at a time.")
        if scope == "selected" and not cleaned.get("staff_member"):
            raise ValidationError("Tick at least one person, or use “Approve all submitted in this period”.")
        return cleaned


class SubmitWeekForm(forms.Form):
    week = forms.CharField(max_length=8)
    staff_member = forms.IntegerField(required=False)

    def clean_week(self) -> datetime.date:
        start = iso_week_parse(self.cleaned_data["week"])
        if start is None:
            raise ValidationError("That week is not valid.")
        return start


class TeamPeriodForm(forms.Form):
    """The team page's period: an ISO ``week`` (default: this week) or a ``start``..``end`` range."""

    week = forms.CharField(required=False, max_length=8)
    start = forms.DateField(label="From", required=False, widget=DateInput())
    end = forms.DateField(label="To", required=False, widget=DateInput())

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if self.errors:
            return cleaned
        if start or end:
            if not (start and end):
                raise ValidationError("Choose both a start and an end date.")
            if end < start:
                raise ValidationError("The end date is before the start date.")
            days = (end - start).days + 1
            if days > MAX_PERIOD_DAYS:
                raise ValidationError(
                    f"Choose a period of at most {MAX_PERIOD_DAYS} days; "
                    f"{format_day(start, year=True)} to {format_day(end, year=True)} is {days} days."
                )
            return cleaned
        week = cleaned.get("week")
        if week:
            monday = iso_week_parse(week)
            if monday is None:
                raise ValidationError("That week is not valid; showing this week instead.")
            cleaned["start"], cleaned["end"] = monday, monday + datetime.timedelta(days=6)
        return cleaned
