"""Re-encrypt every stored Xero token under the first key of TOKEN_ENCRYPTION_KEYS.

Rotation: put the new key first, keep the old one after it, deploy, run this command, then drop the
old key. A token that no configured key can decrypt stops the command with an error (nothing is sent
anywhere).
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from integrations.models import XeroConnection
from timeclamp.tenancy import unscoped


class Command(BaseCommand):
    help = "Re-encrypt all Xero tokens under the current (first) TOKEN_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        count = 0
        with unscoped(), transaction.atomic():
            for connection in XeroConnection.all_organizations.select_for_update().order_by("pk"):
                # Reading decrypts with any key; saving encrypts with the first.
                connection.save(update_fields=["access_token", "refresh_token"])
                count += 1
        self.stdout.write(f"Re-encrypted the tokens of {count} connection(s).")
