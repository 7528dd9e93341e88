"""One factory per model. Tenant-owned rows are built through ``all_organizations`` and derive their
organisation from their parent, so a fixture cannot build a cross-tenant row by accident."""

import datetime

import factory
from django.utils import timezone

from staff.models import Membership, Organization, Role, StaffMember, User
from timesheets.models import TimeEntry


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class):
        return model_class.all_organizations


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name", locale="en_AU")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Business {n} Pty Ltd")
    slug = factory.Sequence(lambda n: f"business-{n}")
    timezone = "Australia/Sydney"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.STAFF


class StaffMemberFactory(TenantFactory):
    class Meta:
        model = StaffMember

    organization = factory.SubFactory(OrganizationFactory)
    first_name = factory.Faker("first_name", locale="en_AU")
    last_name = factory.Faker("last_name", locale="en_AU")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=65)
    email = factory.LazyAttribute(lambda o: f"{o.first_name}.{o.last_name}@example.com".lower())
    employee_code = factory.Sequence(lambda n: f"E{n:05d}")
    start_date = datetime.date(2024, 1, 1)


class TimeEntryFactory(TenantFactory):
    class Meta:
        model = TimeEntry

    staff_member = factory.SubFactory(StaffMemberFactory)
    organization = factory.SelfAttribute("staff_member.organization")
    work_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=1))
    start_at = factory.LazyAttribute(
        lambda o: datetime.datetime.combine(o.work_date, datetime.time(9), tzinfo=o.organization.tzinfo)
    )
    end_at = factory.LazyAttribute(lambda o: o.start_at + datetime.timedelta(hours=8))
    break_minutes = 30
    minutes = factory.LazyAttribute(
        lambda o: int((o.end_at - o.start_at).total_seconds() // 60) - o.break_minutes
    )
    status = TimeEntry.Status.DRAFT
