"""Register (or update) an app in the Xero sandbox, as on developer.xero.com "My Apps".

    manage.py sandbox_register_app --client-id X --client-secret Y \
        --redirect-uri https://example.test/callback [--redirect-uri ...] [--name "My app"]

The redirect URIs given replace the stored ones. The app described by settings (XERO_CLIENT_ID,
XERO_CLIENT_SECRET, XERO_REDIRECT_URI) is registered automatically on first use of the sandbox.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from xero_sandbox.identity.registry import register_app


class Command(BaseCommand):
    help = "Create or update an OAuth app (client) in the Xero sandbox."

    def add_arguments(self, parser):
        parser.add_argument("--client-id", required=True)
        parser.add_argument(
            "--client-secret",
            default="",
            help="Leave empty for a PKCE app (no secret; PKCE is then required).",
        )
        parser.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        parser.add_argument("--name", default=None)

    def handle(self, *args, client_id, client_secret, redirect_uris, name, **options):
        try:
            app, created = register_app(
                client_id=client_id, client_secret=client_secret, redirect_uris=redirect_uris, name=name
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        verb = "Registered" if created else "Updated"
        uris = ", ".join(app.redirect_uris)
        self.stdout.write(self.style.SUCCESS(f"{verb} {app.name!r} ({app.client_id}); redirect URIs: {uris}"))
