"""One Xero organisation per Timeclamp organisation: linking one already linked elsewhere is refused,
or needs an explicit confirmation from someone who administers both."""

import pytest
from django.test import Client

from integrations.models import XeroConnection
from staff.models import Membership, Organization, Role, User
from tests.factories import OrganizationFactory, UserFactory
from tests.integrations.sandbox_world import connect
from timeclamp.tenancy import unscoped

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])


def connection_of(org):
    with unscoped():
        return XeroConnection.all_organizations.filter(organization=org).first()


def test_admin_of_both_must_confirm_and_is_told_which_organisation(world, django_capture_on_commit_callbacks):
    demo, client = world
    connect(client, demo, django_capture_on_commit_callbacks)
    bakery = Organization.objects.get(slug="harbour-bakery")  # the same admin administers it
    connect(client, bakery, django_capture_on_commit_callbacks, expect_settings=False)
    page = client.get(f"/o/{bakery.slug}/settings/integrations/xero/choose/").content.decode()
    assert "Demo Cafe Pty Ltd" in page  # names the other organisation: the admin administers it
    assert connection_of(bakery).status == XeroConnection.Status.CHOOSING_TENANT
    tenant_id = connection_of(demo).tenant_id
    client.post(f"/o/{bakery.slug}/settings/integrations/xero/choose/", {"tenant_id": tenant_id})
    assert connection_of(bakery).status == XeroConnection.Status.CHOOSING_TENANT  # not without the tick
    client.post(
        f"/o/{bakery.slug}/settings/integrations/xero/choose/",
        {"tenant_id": tenant_id, "confirm_shared": "yes"},
    )
    assert connection_of(bakery).status == XeroConnection.Status.ACTIVE
    assert connection_of(bakery).tenant_id == tenant_id


def test_someone_who_does_not_administer_the_other_organisation_is_refused(
    world, django_capture_on_commit_callbacks
):
    demo, client = world
    connect(client, demo, django_capture_on_commit_callbacks)
    stranger_org = OrganizationFactory(slug="stranger-co")
    stranger = UserFactory(email="owner@stranger.test")
    Membership.objects.create(user=stranger, organization=stranger_org, role=Role.ADMIN)
    other = Client()
    other.force_login(stranger)
    connect(other, stranger_org, django_capture_on_commit_callbacks, expect_settings=True)
    page = other.get(f"/o/{stranger_org.slug}/settings/integrations/").content.decode()
    assert "already connected to another Timeclamp organisation" in page
    assert "Demo Cafe Pty Ltd" not in page.replace("Demo Cafe Pty Ltd (AU)", "")  # never names it
    connection = connection_of(stranger_org)
    assert connection.status == XeroConnection.Status.DISCONNECTED
    assert connection.refresh_token == ""
    assert connection_of(demo).status == XeroConnection.Status.ACTIVE  # the first link is untouched
    assert User.objects.filter(email="owner@stranger.test").exists()


def test_several_organisations_granted_asks_which_one(world, django_capture_on_commit_callbacks):
    demo, client = world
    connect(
        client,
        demo,
        django_capture_on_commit_callbacks,
        expect_settings=False,
        grant=("Demo Cafe Pty Ltd (AU)", "Harbour Bakery (AU)"),
    )
    assert connection_of(demo).status == XeroConnection.Status.CHOOSING_TENANT
    page = client.get(f"/o/{demo.slug}/settings/integrations/xero/choose/").content.decode()
    assert "Demo Cafe Pty Ltd (AU)" in page
    assert "Harbour Bakery (AU)" in page
    bakery_tenant = next(
        t["tenant_id"] for t in connection_of(demo).pending_tenants if "Harbour" in t["tenant_name"]
    )
    client.post(f"/o/{demo.slug}/settings/integrations/xero/choose/", {"tenant_id": bakery_tenant})
    connection = connection_of(demo)
    assert connection.status == XeroConnection.Status.ACTIVE
    assert connection.tenant_name == "Harbour Bakery (AU)"
    # a tenant id that was not part of the consent is refused
    assert (
        client.post(f"/o/{demo.slug}/settings/integrations/xero/choose/", {"tenant_id": "forged"}).status_code
        == 302
    )
    assert connection_of(demo).tenant_name == "Harbour Bakery (AU)"
