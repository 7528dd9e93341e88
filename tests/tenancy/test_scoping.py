import pytest
from django.apps import apps
from django.core.checks import run_checks

from staff.models import StaffMember
from tests.factories import OrganizationFactory, StaffMemberFactory
from timeclamp.checks import unscoped_models
from timeclamp.tenancy import OrganizationScopeError, organization_scope, unscoped
from timeclamp.tenancy.models import OrganizationOwnedModel


@pytest.fixture
def two_orgs(db):
    a, b = OrganizationFactory(), OrganizationFactory()
    StaffMemberFactory(organization=a, first_name="Alice")
    StaffMemberFactory(organization=b, first_name="Bob")
    return a, b


TENANT_MODELS = [m for m in apps.get_models() if issubclass(m, OrganizationOwnedModel)]


@pytest.mark.django_db
@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m._meta.label)
@pytest.mark.parametrize(
    "query",
    ["all", "count", "exists", "first", "exclude", "in_bulk", "select_related", "values", "filter", "get"],
)
def test_every_tenant_model_refuses_queries_outside_a_scope(model, query):
    manager = model.objects
    calls = {
        "all": lambda: list(manager.all()),
        "count": manager.count,
        "exists": manager.exists,
        "first": manager.first,
        "exclude": lambda: manager.exclude(pk=0),
        "in_bulk": lambda: manager.in_bulk([1]),
        "select_related": lambda: manager.select_related(),
        "values": lambda: manager.values(),
        "filter": lambda: manager.filter(pk=1),
        "get": lambda: manager.get(pk=1),
    }
    with pytest.raises(OrganizationScopeError):
        calls[query]()


def test_scoped_manager_filters_to_the_current_organisation(two_orgs):
    a, b = two_orgs
    with organization_scope(a):
        assert [s.first_name for s in StaffMember.objects.all()] == ["Alice"]
        assert not StaffMember.objects.filter(first_name="Bob").exists()
    with organization_scope(b):
        assert [s.first_name for s in StaffMember.objects.all()] == ["Bob"]


def test_escape_hatch_sees_every_organisation(two_orgs):
    with unscoped():
        assert StaffMember.objects.count() == 2
    assert StaffMember.all_organizations.count() == 2


def test_organization_scope_refuses_none():
    with pytest.raises(OrganizationScopeError), organization_scope(None):
        pass


def test_system_check_passes_for_our_models():
    assert unscoped_models() == []
    assert not [m for m in run_checks() if m.id == "timeclamp.E001"]


def test_system_check_flags_an_unscoped_model(settings):
    settings.TENANT_GLOBAL_MODELS = {"staff.User", "staff.Membership", "staff.Invitation"}
    assert unscoped_models() == ["staff.Organization"]
