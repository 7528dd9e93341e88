"""Settings > Integrations views: roles, and a callback that refuses anything malformed (never a 500)."""

from urllib.parse import quote

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.models import XeroConnection


@pytest.mark.django_db
def test_staff_cannot_see_integrations(staff_client, organization):
    assert (
        staff_client.get(
            reverse("integrations:xero_settings", kwargs={"org_slug": organization.slug})
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_manager_sees_status_but_cannot_connect_or_disconnect(manager_client, organization):
    page = manager_client.get(reverse("integrations:xero_settings", kwargs={"org_slug": organization.slug}))
    assert page.status_code == 200
    assert "Only admins can connect Xero" in page.content.decode()
    for name in ("xero_connect", "xero_disconnect", "xero_choose"):
        assert (
            manager_client.post(
                reverse(f"integrations:{name}", kwargs={"org_slug": organization.slug})
            ).status_code
            == 404
        )


@pytest.mark.django_db
def test_admin_sees_the_connect_button_and_checklist(admin_client, organization):
    body = admin_client.get(
        reverse("integrations:xero_settings", kwargs={"org_slug": organization.slug})
    ).content.decode()
    assert "Connect Xero Organisation" in body
    assert "first name, middle name, last name and date of birth" in body


@pytest.mark.django_db
def test_connect_keeps_state_and_pkce_in_the_session_and_redirects_to_xero(admin_client, organization):
    response = admin_client.post(reverse("integrations:xero_connect", kwargs={"org_slug": organization.slug}))
    assert response.status_code == 302
    assert "/identity/connect/authorize?" in response["Location"]
    assert "code_challenge_method=S256" in response["Location"]
    (pending,) = admin_client.session["xero_oauth_states"].values()
    assert pending["organization_id"] == organization.pk


@pytest.mark.django_db
def test_legacy_connection_shows_the_retired_message(admin_client, organization):
    XeroConnection.objects.create(
        organization=organization,
        status=XeroConnection.Status.LEGACY_OAUTH1,
        tenant_name="Old Cafe",
        legacy_token_id="L1",
    )
    body = admin_client.get(
        reverse("integrations:xero_settings", kwargs={"org_slug": organization.slug})
    ).content.decode()
    assert "Xero retired OAuth 1.0: disconnect and connect again" in body
    payroll = admin_client.get(
        reverse("integrations:payroll", kwargs={"org_slug": organization.slug})
    ).content.decode()
    assert "OAuth 1.0" in payroll  # and payroll is blocked


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    params=st.lists(
        st.tuples(
            st.sampled_from(["state", "code", "error", "scope", "x"]),
            st.one_of(
                st.text(max_size=300),
                st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
                st.text(min_size=2000, max_size=12000),
            ),
        ),
        max_size=12,
    )
)
def test_malformed_callbacks_are_refused_never_a_server_error(admin_client, organization, params):
    admin_client.post(reverse("integrations:xero_connect", kwargs={"org_slug": organization.slug}))
    query = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in params)
    response = admin_client.get(f"/integrations/xero/callback/?{query}")
    assert response.status_code in (302, 400)


@pytest.mark.parametrize(
    ("typed", "minutes"), [("7.6", 456), ("7.60", 456), ("24.000", 1440), ("0.5", 30), ("8", 480)]
)
def test_overtime_hours_accept_what_people_type(typed, minutes):
    from integrations.forms import PayrollSettingsForm

    form = PayrollSettingsForm({"send_as": "DRAFT", "overtime_after_hours": typed})
    assert form.is_valid(), form.errors
    assert form.overtime_after_minutes == minutes


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("7.666", "at most 2 decimals"),
        ("0.001", "at most 2 decimals"),
        ("0", "at least 0.01"),
        ("25", "at most 24"),
        ("NaN", "for example 7.6"),
        ("eight", "for example 7.6"),
    ],
)
def test_overtime_hours_refuse_the_rest_with_a_clear_message(typed, says):
    from integrations.forms import PayrollSettingsForm

    form = PayrollSettingsForm({"send_as": "DRAFT", "overtime_after_hours": typed})
    assert not form.is_valid()
    assert any(says in message for message in form.errors["overtime_after_hours"])
