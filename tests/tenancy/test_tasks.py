"""Background work re-enters the tenant scope from an id, and refuses anything else."""

import pytest
from celery import shared_task
from django.db import OperationalError

from staff.models import StaffMember
from tests.factories import OrganizationFactory, StaffMemberFactory
from timeclamp.tenancy import current_organization_id
from timeclamp.tenancy.tasks import OrganizationTask


@shared_task(name="tests.staff_names", base=OrganizationTask)
def staff_names_task(*, organization) -> list[str]:
    return sorted(StaffMember.objects.values_list("first_name", flat=True))


@shared_task(name="tests.scope_of", base=OrganizationTask)
def scope_of_task(*, organization) -> int | None:
    return current_organization_id()


@pytest.mark.django_db
def test_task_runs_in_the_scope_of_the_organisation_it_was_given():
    a, b = OrganizationFactory(), OrganizationFactory()
    StaffMemberFactory(organization=a, first_name="Ann")
    StaffMemberFactory(organization=b, first_name="Ben")
    assert staff_names_task.apply(kwargs={"organization_id": a.pk}).get() == ["Ann"]
    assert staff_names_task.apply(kwargs={"organization_id": b.pk}).get() == ["Ben"]
    # no scope leaks from one task to the next in the same worker process
    assert current_organization_id() is None
    assert scope_of_task.apply(kwargs={"organization_id": b.pk}).get() == b.pk


@pytest.mark.django_db
def test_task_for_an_inactive_or_missing_organisation_does_nothing():
    gone = OrganizationFactory(is_active=False)
    StaffMemberFactory(organization=gone)
    assert staff_names_task.apply(kwargs={"organization_id": gone.pk}).get() is None
    assert staff_names_task.apply(kwargs={"organization_id": 999999}).get() is None


@pytest.mark.django_db
def test_a_task_without_an_organisation_id_is_refused():
    with pytest.raises(TypeError, match="organization_id"):
        staff_names_task.apply(kwargs={}).get()


@shared_task(name="tests.fails_once", base=OrganizationTask, bind=True, max_retries=1)
def fails_once_task(self, *, organization) -> str:
    if not self.request.retries:
        raise self.retry(countdown=0)
    return organization.slug


@pytest.mark.django_db
def test_a_retry_sends_the_organisation_id_not_the_object(monkeypatch):
    """The body gets an Organization object, which could not be serialised to the broker: a retry
    re-sends the message's own arguments, the organisation's id."""
    from celery.app.task import Task
    from celery.exceptions import Retry

    org = OrganizationFactory()
    sent = []

    def recording_retry(self, args=None, kwargs=None, *more, **options):
        sent.append(kwargs)
        raise Retry("recorded")

    monkeypatch.setattr(Task, "retry", recording_retry)
    with pytest.raises(Retry):
        fails_once_task.apply(kwargs={"organization_id": org.pk}).get()
    assert sent == [{"organization_id": org.pk}]


class DatabaseDown:
    """A connection.execute_wrapper: the next ``failures`` queries fail as during a PostgreSQL restart."""

    def __init__(self, failures: int):
        self.failures = failures

    def __call__(self, execute, sql, params, many, context):
        from django.db import OperationalError

        if self.failures:
            self.failures -= 1
            raise OperationalError("the database system is shutting down")
        return execute(sql, params, many, context)


@pytest.mark.django_db(transaction=True)
def test_a_task_received_while_the_database_restarts_waits_for_it_and_runs(monkeypatch):
    """F6: a message received during the restart used to fail before its body (the organisation lookup
    is outside autoretry_for), and its push waited 15 minutes for the watchdog."""
    from django.db import connection

    org = OrganizationFactory()
    StaffMemberFactory(organization=org, first_name="Ann")
    monkeypatch.setattr(staff_names_task, "outage_waits", (0.01, 0.01, 0.01))
    down = DatabaseDown(failures=2)
    with connection.execute_wrapper(down):
        assert staff_names_task.apply(kwargs={"organization_id": org.pk}).get() == ["Ann"]
    assert down.failures == 0


@shared_task(
    name="tests.retries_on_database_errors",
    base=OrganizationTask,
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    retry_kwargs={"max_retries": 3},
)
def retries_on_database_errors_task(self, *, organization) -> str:
    return organization.slug


@pytest.mark.django_db(transaction=True)
def test_a_longer_database_outage_falls_back_to_the_tasks_retry_policy(monkeypatch):
    """Past the waits the task retries as its autoretry_for would: its own options and backoff, and
    the message's own arguments (the organisation's id) re-sent."""
    from celery.app.task import Task
    from celery.exceptions import Retry
    from django.db import connection

    org = OrganizationFactory()
    monkeypatch.setattr(retries_on_database_errors_task, "outage_waits", (0.01,))
    sent = []

    def recording_super_retry(self, args=None, kwargs=None, *more, **options):
        sent.append({"kwargs": kwargs, **options})
        raise Retry("recorded")

    monkeypatch.setattr(Task, "retry", recording_super_retry)  # what OrganizationTask.retry passes on
    with connection.execute_wrapper(DatabaseDown(failures=10)), pytest.raises(Retry):
        retries_on_database_errors_task.apply(kwargs={"organization_id": org.pk}).get()
    assert len(sent) == 1
    assert sent[0]["kwargs"] == {"organization_id": org.pk}
    assert sent[0]["max_retries"] == 3
    assert isinstance(sent[0]["exc"], OperationalError)
    assert 0 <= sent[0]["countdown"] <= 5  # first retry: full jitter up to retry_backoff


@pytest.mark.django_db(transaction=True)
def test_a_task_without_a_retry_policy_fails_after_every_wait(monkeypatch):
    from django.db import connection

    org = OrganizationFactory()
    monkeypatch.setattr(staff_names_task, "outage_waits", (0.01, 0.01))
    down = DatabaseDown(failures=10)
    with connection.execute_wrapper(down), pytest.raises(OperationalError):
        staff_names_task.apply(kwargs={"organization_id": org.pk}).get()
    assert down.failures == 10 - 3  # the first try and one after each wait
