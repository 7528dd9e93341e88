"""The push under faults, against the sandbox: no duplicate timesheet in Xero, no push left
unfinished, the user told what happened."""

import datetime

import pytest
from django.conf import settings

from integrations.models import PayrollPush, PayrollPushItem, XeroPayrollCalendar
from integrations.periods import PayPeriod
from integrations.services import payroll as payroll_service
from integrations.services.payroll import payroll_push_execute, payroll_push_request, payroll_pushes_due
from staff.demo import demo_weeks
from staff.models import User
from tests.integrations.sandbox_world import connect
from timeclamp.tenancy import organization_scope
from xero_sandbox.control.api import add_fault, requests_log
from xero_sandbox.identity.control import revoke_grant
from xero_sandbox.models import Employee as SandboxEmployee
from xero_sandbox.models import Timesheet as SandboxTimesheet

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])


@pytest.fixture
def ready(world, django_capture_on_commit_callbacks):
    organization, client = world
    connect(client, organization, django_capture_on_commit_callbacks)
    week = demo_weeks(today=organization.today())[0]
    period = PayPeriod(start=week, end=week + datetime.timedelta(days=6))
    with organization_scope(organization):
        from integrations.services.payroll_setup import payroll_calendars_refresh

        payroll_calendars_refresh(organization=organization)
        calendar = XeroPayrollCalendar.objects.get(organization=organization, calendar_type="WEEKLY")
    manager = User.objects.get(email="manager@demo-cafe.test")
    with organization_scope(organization):
        yield organization, manager, calendar, period


def request_push(organization, manager, calendar, period) -> PayrollPush:
    push, _ = payroll_push_request(organization=organization, actor=manager, calendar=calendar, period=period)
    return push


def run(organization, push) -> PayrollPush:
    """Execute the push as the queue would: a push that yields its turn is picked up again."""
    for _turn in range(50):
        push = payroll_push_execute(organization=organization, push_id=push.pk, sleep=lambda s: None)
        if push.status != PayrollPush.Status.PENDING:
            return push
    raise AssertionError("the push never finished")


def xero_creates_per_employee(period) -> dict:
    counts = {}
    for employee_id in SandboxTimesheet.objects.filter(start_date=period.start).values_list(
        "employee__employee_id", flat=True
    ):
        counts[employee_id] = counts.get(employee_id, 0) + 1
    return counts


def assert_no_duplicates(period):
    counts = xero_creates_per_employee(period)
    assert counts
    assert max(counts.values()) == 1


def test_double_submit_gives_one_push(ready):
    organization, manager, calendar, period = ready
    first = request_push(organization, manager, calendar, period)
    second, created = payroll_push_request(
        organization=organization, actor=manager, calendar=calendar, period=period
    )
    assert second == first
    assert not created
    assert PayrollPush.objects.count() == 1


def test_batches_one_read_and_one_post_for_the_period(ready):
    organization, manager, calendar, period = ready
    push = run(organization, request_push(organization, manager, calendar, period))
    assert push.status == PayrollPush.Status.SUCCEEDED
    posts = [r for r in requests_log() if r.method == "POST" and "Timesheets" in r.path]
    assert len(posts) == 1  # every timesheet in one bare-array call (< 50)
    assert push.xero_calls == 2  # read the period, then one POST
    assert all(r.idempotency_key for r in posts)


def test_response_lost_after_xero_processed_the_post_is_reconciled_not_resent(ready):
    organization, manager, calendar, period = ready
    add_fault("drop", count=1, path_contains="Timesheets", method="POST")
    push = run(organization, request_push(organization, manager, calendar, period))
    assert push.status == PayrollPush.Status.SUCCEEDED
    assert_no_duplicates(period)
    sent = PayrollPushItem.objects.filter(push=push, status__in=["sent", "updated"])
    assert sent.count() == sum(xero_creates_per_employee(period).values())
    assert all(item.xero_timesheet_id for item in sent)
    assert all("not sent twice" in item.explanation for item in sent)  # what the results page says


def test_server_errors_are_retried_until_they_pass(ready):
    organization, manager, calendar, period = ready
    add_fault("500", count=2, path_contains="Timesheets", method="POST")
    push = run(organization, request_push(organization, manager, calendar, period))
    assert push.status == PayrollPush.Status.SUCCEEDED
    assert_no_duplicates(period)


def test_minute_rate_limit_waits_exactly_retry_after(ready, monkeypatch):
    organization, manager, calendar, period = ready
    add_fault("429-minute", count=1, path_contains="Timesheets", method="POST", retry_after=3)
    waits = []
    push = payroll_push_execute(
        organization=organization,
        push_id=request_push(organization, manager, calendar, period).pk,
        sleep=waits.append,
    )
    assert 3.0 in waits
    assert push.status == PayrollPush.Status.SUCCEEDED


def test_daily_limit_parks_the_push_until_xero_says(ready):
    organization, manager, calendar, period = ready
    add_fault("429-day", count=1, path_contains="Timesheets", method="POST", retry_after=7200)
    push = run(organization, request_push(organization, manager, calendar, period))
    assert push.status == PayrollPush.Status.PARKED
    assert push.next_attempt_at >= push.updated_at + datetime.timedelta(seconds=7100)
    assert "limit" in push.last_error
    # the watchdog leaves it alone until then; a second run now does nothing
    assert (organization.pk, push.pk) not in payroll_pushes_due()
    calls_before = len(requests_log())
    run(organization, push)
    assert len(requests_log()) == calls_before


def test_access_revoked_in_xero_stops_the_push_as_reconnect_required(ready):
    organization, manager, calendar, period = ready
    push = request_push(organization, manager, calendar, period)
    revoke_grant(user_email="xero@demo-cafe.test", client_id=settings.XERO_CLIENT_ID)
    push = run(organization, push)
    assert push.status == PayrollPush.Status.BLOCKED
    assert "reconnect" in push.last_error.lower()
    assert not SandboxTimesheet.objects.exists()


def test_worker_killed_after_xero_took_the_post_resumes_without_duplicates(ready, monkeypatch):
    organization, manager, calendar, period = ready
    push = request_push(organization, manager, calendar, period)
    real = payroll_service._send_batch

    def die_after_post(ctx, batch, drafts, key):
        real(ctx, batch, drafts, key)
        PayrollPushItem.objects.filter(pk__in=[i.pk for i in batch]).update(status="in_flight")
        raise SystemExit("SIGKILL")  # the worker dies before recording anything

    monkeypatch.setattr(payroll_service, "_send_batch", die_after_post)
    with pytest.raises(SystemExit):
        run(organization, push)
    monkeypatch.setattr(payroll_service, "_send_batch", real)
    push.refresh_from_db()
    assert push.status == PayrollPush.Status.RUNNING
    PayrollPush.objects.filter(pk=push.pk).update(lease_until=push.lease_until - datetime.timedelta(hours=1))
    assert (organization.pk, push.pk) in payroll_pushes_due()  # the watchdog picks it up
    push = run(organization, push)
    assert push.status == PayrollPush.Status.SUCCEEDED
    assert_no_duplicates(period)
    assert PayrollPushItem.objects.filter(push=push, status="sent").count() == sum(
        xero_creates_per_employee(period).values()
    )


def test_one_rejected_employee_fails_with_an_explanation_and_the_rest_are_sent(ready):
    organization, manager, calendar, period = ready
    push = request_push(organization, manager, calendar, period)
    # Xero terminates someone after our last read: Xero refuses that one timesheet.
    sent_later = SandboxEmployee.objects.filter(first_name="Ethan", last_name="Brown").first()
    from xero_sandbox.control.api import terminate_employee

    terminate_employee(sent_later.employee_id)
    push = run(organization, push)
    assert push.status == PayrollPush.Status.PARTIAL
    failed = PayrollPushItem.objects.get(push=push, status="failed")
    assert failed.staff_member.first_name == "Ethan"
    assert failed.xero_message
    assert "terminated" in failed.explanation.lower() or failed.explanation
    assert PayrollPushItem.objects.filter(push=push, status="sent").count() >= 10
    assert_no_duplicates(period)


def test_retry_failed_sends_only_what_is_missing(ready):
    organization, manager, calendar, period = ready
    add_fault("500", count=10, path_contains="Timesheets", method="POST")
    first = request_push(organization, manager, calendar, period)
    with pytest.raises(Exception):  # noqa: B017, PT011 - Xero kept failing: the task would retry later
        run(organization, first)
    from xero_sandbox.control.api import clear_faults

    clear_faults()
    first = run(organization, first)  # the task's retry
    assert first.status == PayrollPush.Status.SUCCEEDED
    again, _ = payroll_push_request(
        organization=organization, actor=manager, calendar=calendar, period=period
    )
    again = run(organization, again)
    assert again.sent == 0
    assert_no_duplicates(period)


def test_a_big_push_yields_its_turn_and_resumes_without_reading_again(ready, monkeypatch):
    organization, manager, calendar, period = ready
    monkeypatch.setattr(payroll_service, "BATCH_SIZE", 4)  # the demo's ~12 timesheets make 3+ batches
    push = request_push(organization, manager, calendar, period)
    first = payroll_push_execute(organization=organization, push_id=push.pk, sleep=lambda s: None)
    assert first.status == PayrollPush.Status.PENDING  # back of the queue after 2 batches
    assert first.sent == 8
    push = run(organization, push)
    assert push.status == PayrollPush.Status.SUCCEEDED
    gets = [r for r in requests_log() if r.method == "GET" and "Timesheets" in r.path]
    assert len(gets) == 1  # the period was read once; continuations trust their own records
    assert_no_duplicates(period)


def test_a_later_turn_queues_behind_every_first_turn(ready, monkeypatch, django_capture_on_commit_callbacks):
    """L3: a push that fits in one batch is queued first, a big push's first turn next and its later
    turns last, so a small organisation's push is taken before big pushes' backlog (Redis serves
    priority 0 first)."""
    from integrations.tasks import payroll_push_execute_task

    organization, manager, calendar, period = ready
    monkeypatch.setattr(payroll_service, "BATCH_SIZE", 4)
    published = []
    monkeypatch.setattr(payroll_push_execute_task, "apply_async", lambda *a, **kw: published.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        push = request_push(organization, manager, calendar, period)
    with django_capture_on_commit_callbacks(execute=True):
        payroll_push_execute(organization=organization, push_id=push.pk, sleep=lambda s: None)
    first_turn, next_turn = published
    assert first_turn["priority"] == payroll_service.FIRST_TURN_PRIORITY  # ~12 linked: 3 batches of 4
    assert next_turn["priority"] == payroll_service.NEXT_TURN_PRIORITY
    assert payroll_service.SMALL_PUSH_PRIORITY < payroll_service.FIRST_TURN_PRIORITY < next_turn["priority"]

    monkeypatch.setattr(payroll_service, "BATCH_SIZE", 50)  # the real size: the same staff fit in one
    published.clear()
    other_week = PayPeriod(
        start=period.start - datetime.timedelta(days=7), end=period.end - datetime.timedelta(days=7)
    )
    with django_capture_on_commit_callbacks(execute=True):
        request_push(organization, manager, calendar, other_week)
    assert published[0]["priority"] == payroll_service.SMALL_PUSH_PRIORITY


def test_overtime_minutes_go_to_the_overtime_rate(ready):
    organization, manager, calendar, period = ready
    from integrations.models import PayrollSettings, XeroEarningsRate

    overtime = XeroEarningsRate.objects.filter(
        organization=organization, earnings_type="OVERTIMEEARNINGS"
    ).first()
    PayrollSettings.objects.update_or_create(
        organization=organization,
        defaults={"overtime_after_minutes": 7 * 60, "overtime_earnings_rate_id": overtime.earnings_rate_id},
    )
    push = run(organization, request_push(organization, manager, calendar, period))
    assert push.status == PayrollPush.Status.SUCCEEDED
    sheet = SandboxTimesheet.objects.filter(start_date=period.start).first()
    rates = {line["EarningsRateID"] for line in sheet.lines}
    assert overtime.earnings_rate_id in rates  # 8 h shifts: 1 h a day on the overtime line
    total = sum(sum(line["NumberOfUnits"]) for line in sheet.lines)
    item = PayrollPushItem.objects.get(push=push, xero_timesheet_id=str(sheet.timesheet_id))
    assert round(total, 2) == round(item.total_minutes / 60, 2)  # the split keeps the total


def test_a_redis_blink_mid_push_is_ridden_out_in_place(ready, monkeypatch):
    """F4/F6 in process: the rate governor's Redis (or the database) drops once during the push; the
    push waits and carries on in the same run, without the watchdog and without a duplicate."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    organization, manager, calendar, period = ready
    real_send_batch = payroll_service._send_batch
    blinks = []

    def send_batch_after_a_blink(ctx, batch, drafts, key):
        if not blinks:
            blinks.append(key)
            raise RedisConnectionError("Connection closed by server.")
        return real_send_batch(ctx, batch, drafts, key)

    monkeypatch.setattr(payroll_service, "_send_batch", send_batch_after_a_blink)
    waits = []
    push = payroll_push_execute(
        organization=organization,
        push_id=request_push(organization, manager, calendar, period).pk,
        sleep=waits.append,
    )
    assert blinks
    assert push.status == PayrollPush.Status.SUCCEEDED
    assert len(waits) == 1  # it waited for the restart, once
    assert waits[0] >= 0.5
    assert_no_duplicates(period)


def test_broker_down_at_submit_is_queued_by_the_next_watchdog_run(ready, monkeypatch):
    """F5: the push is committed even when the broker refuses it; the watchdog's next run (not two
    minutes later) queues it, and only once."""
    from integrations.tasks import payroll_push_execute_task

    organization, manager, calendar, period = ready
    published = []

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(payroll_push_execute_task, "apply_async", broker_down)
    push = request_push(organization, manager, calendar, period)
    payroll_service.payroll_push_enqueue(organization_id=organization.pk, push_id=push.pk)  # on commit
    push.refresh_from_db()
    assert push.status == PayrollPush.Status.PENDING
    assert push.needs_queueing
    assert (organization.pk, push.pk) in payroll_pushes_due()

    monkeypatch.setattr(payroll_push_execute_task, "apply_async", lambda **kw: published.append(kw))
    payroll_service.payroll_push_enqueue(organization_id=organization.pk, push_id=push.pk)  # the watchdog
    push.refresh_from_db()
    assert not push.needs_queueing
    assert (organization.pk, push.pk) not in payroll_pushes_due()  # queued: not again next minute
    assert published == [
        {
            "kwargs": {"organization_id": organization.pk, "push_id": push.pk},
            "queue": "xero",
            "priority": payroll_service.SMALL_PUSH_PRIORITY,  # its own priority, also from the watchdog
        }
    ]


def test_daily_limit_parks_in_the_database_not_in_a_delayed_celery_message(ready, monkeypatch, settings):
    """F8: the daily limit (Retry-After 7,200 s) parks the push in the database for the watchdog; the
    task itself schedules nothing (no ETA/countdown message that Redis would redeliver after its
    visibility timeout), and no retry of any push task waits longer than that timeout."""
    from integrations.tasks import payroll_push_execute_task

    organization, manager, calendar, period = ready
    add_fault("429-day", count=1, path_contains="Timesheets", method="POST", retry_after=7200)
    published = []
    monkeypatch.setattr(payroll_push_execute_task, "apply_async", lambda *a, **kw: published.append(kw))
    push = request_push(organization, manager, calendar, period)
    payroll_push_execute_task.apply(kwargs={"organization_id": organization.pk, "push_id": push.pk}).get()
    push.refresh_from_db()
    assert push.status == PayrollPush.Status.PARKED
    assert published == []  # nothing queued for later: the watchdog resumes it at next_attempt_at
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    assert payroll_push_execute_task.retry_backoff_max < visibility


def test_resume_now_sends_a_parked_push_before_xeros_time(ready, world, django_capture_on_commit_callbacks):
    """ "Resume now" on a parked push (Xero support lifted the limit) sends it at once, not at the time
    Xero gave, and does not start a second push."""
    organization, manager, calendar, period = ready
    _, client = world
    add_fault("429-day", count=1, path_contains="Timesheets", method="POST", retry_after=7200)
    push = run(organization, request_push(organization, manager, calendar, period))
    assert push.status == PayrollPush.Status.PARKED
    with django_capture_on_commit_callbacks(execute=True):  # the task runs eagerly on commit
        response = client.post(
            f"/o/{organization.slug}/timesheets/payroll/pushes/{push.pk}/retry/", secure=True
        )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/pushes/{push.pk}/")
    push.refresh_from_db()
    assert push.status == PayrollPush.Status.SUCCEEDED
    assert PayrollPush.objects.count() == 1
    assert_no_duplicates(period)


def test_a_parked_push_page_gives_the_resume_time_not_a_countdown(ready, world):
    organization, manager, calendar, period = ready
    _, client = world
    add_fault("429-day", count=1, path_contains="Timesheets", method="POST", retry_after=7200)
    push = run(organization, request_push(organization, manager, calendar, period))
    assert push.status == PayrollPush.Status.PARKED
    page = client.get(
        f"/o/{organization.slug}/timesheets/payroll/pushes/{push.pk}/", secure=True
    ).content.decode()
    assert "resumes by itself at" in page
    assert "Resume now" in page
    assert " left" not in page  # no "about 23 s left" on a push that waits two hours for Xero
