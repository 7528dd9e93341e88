"""Import connections carried over from the retired OAuth 1.0 integration.

CSV columns: organisation slug, Xero organisation name, legacy token id (header row optional).
Each becomes a "Xero retired OAuth 1.0: disconnect and connect again" connection that blocks payroll.
"""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from integrations.services.connections import xero_legacy_connection_import
from staff.models import Organization
from timeclamp.tenancy import organization_scope


class Command(BaseCommand):
    help = "Import OAuth 1.0 Xero connections from a CSV (slug, Xero organisation name, legacy token id)."

    def add_arguments(self, parser):
        parser.add_argument("csv_path", type=Path)

    def handle(self, *args, csv_path: Path, **options):
        try:
            rows = list(csv.reader(csv_path.read_text(encoding="utf-8-sig").splitlines()))
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {csv_path}: {exc}") from exc
        if rows and [c.strip().lower() for c in rows[0]][:1] in (
            ["slug"],
            ["organisation_slug"],
            ["organization_slug"],
        ):
            rows = rows[1:]
        imported, skipped = 0, []
        for number, row in enumerate(rows, start=1):
            if len(row) != 3 or not all(c.strip() for c in row):
                skipped.append(f"row {number}: needs slug, Xero organisation name and legacy token id")
                continue
            slug, tenant_name, token_id = (c.strip() for c in row)
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None:
                skipped.append(f"row {number}: no organisation with slug {slug!r}")
                continue
            with organization_scope(organization):
                xero_legacy_connection_import(
                    organization=organization, tenant_name=tenant_name, legacy_token_id=token_id
                )
            imported += 1
        for line in skipped:
            self.stderr.write(line)
        self.stdout.write(f"Imported {imported} legacy connection(s); skipped {len(skipped)}.")
