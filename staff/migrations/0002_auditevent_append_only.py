"""The audit table is append-only in the database too, not only in the model: on PostgreSQL a
trigger refuses every UPDATE and DELETE of a row (an application bug, a shell session, a support
script), with one exception: Django's ON DELETE SET NULL when the actor's user account is deleted,
which may clear ``actor_id`` and nothing else (Django issues that UPDATE itself, so the trigger
cannot tell it from a hand-written one: clearing the actor is the one change it lets through).

What it does not stop: the table's owner can disable or drop the trigger, and TRUNCATE fires no row
trigger (test flushes rely on that). Against those, run migrations as the owner role and the app as
a role with only SELECT and INSERT on staff_auditevent (README, Ops).

SQLite (the embedded demo) keeps the model-level guard only: its test flush deletes row by row."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION staff_auditevent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;  -- the actor's account was deleted (ON DELETE SET NULL)
    END IF;
    RAISE EXCEPTION 'staff_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER staff_auditevent_append_only BEFORE UPDATE OR DELETE ON staff_auditevent
    FOR EACH ROW EXECUTE FUNCTION staff_auditevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS staff_auditevent_append_only ON staff_auditevent;
DROP FUNCTION IF EXISTS staff_auditevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # the % is PL/pgSQL's, not a placeholder


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("staff", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
