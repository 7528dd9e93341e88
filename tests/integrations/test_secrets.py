"""Tokens never leave their encrypted column: not in logs, not in task arguments, not in pages."""

import logging

import pytest
from celery.app.task import Task

from integrations.models import XeroConnection
from tests.integrations.sandbox_world import connect
from timeclamp.tenancy import organization_scope

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])


def test_no_token_in_logs_task_arguments_or_pages(
    world, django_capture_on_commit_callbacks, caplog, monkeypatch
):
    organization, client = world
    sent_kwargs = []
    real_apply_async = Task.apply_async

    def recording_apply_async(self, args=None, kwargs=None, **options):
        sent_kwargs.append((self.name, args, kwargs))
        return real_apply_async(self, args=args, kwargs=kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", recording_apply_async)
    caplog.set_level(logging.DEBUG)
    connect(client, organization, django_capture_on_commit_callbacks)
    pages = [
        client.get(f"/o/{organization.slug}/{path}").content.decode()
        for path in ("settings/integrations/", "timesheets/payroll/", "settings/integrations/staff-matching/")
    ]
    with organization_scope(organization):
        connection = XeroConnection.objects.get(organization=organization)
    secrets = [connection.access_token, connection.refresh_token]
    assert all(secrets)
    everything_logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in secrets:
        assert secret not in everything_logged
        assert all(secret not in page for page in pages)
        assert all(secret not in repr(call) for call in sent_kwargs)
    assert "xero_test_tok_" not in everything_logged
    assert sent_kwargs, "the sync task should have been queued"
    for _name, args, kwargs in sent_kwargs:
        assert not args
        assert all(isinstance(v, int) for v in (kwargs or {}).values())  # ids only
