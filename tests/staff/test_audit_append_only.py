"""I11: the audit trail is append-only in the database, whoever connects (reliability-notes §8)."""

import pytest
from django.db import DatabaseError, connection, transaction

from staff.models import AuditEvent, User
from staff.services import audit_record
from tests.factories import OrganizationFactory, UserFactory
from timeclamp.tenancy import unscoped

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def event():
    organization = OrganizationFactory()
    actor = UserFactory(email="actor@audited.test")
    return audit_record(organization=organization, actor=actor, action="test.event", summary="original")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE staff_auditevent SET summary = 'rewritten' WHERE id = %s",
        "UPDATE staff_auditevent SET actor_id = NULL, summary = 'rewritten' WHERE id = %s",
        "DELETE FROM staff_auditevent WHERE id = %s",
    ],
)
def test_raw_sql_as_the_app_role_cannot_rewrite_or_remove_an_audit_row(event, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    with unscoped():
        event.refresh_from_db()
    assert event.summary == "original"
    assert event.actor is not None


def test_deleting_the_actors_account_keeps_the_row_without_the_link(event):
    User.objects.filter(email="actor@audited.test").delete()  # ON DELETE SET NULL: allowed
    with unscoped():
        kept = AuditEvent.all_organizations.get(pk=event.pk)
    assert kept.actor is None
    assert kept.summary == "original"
    assert kept.action == "test.event"
