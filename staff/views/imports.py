"""Staff > Import: upload a CSV file, check the preview, confirm.

Between the preview and the confirmation the file's bytes wait in the server-side session (base64,
never on disk), with a keyed digest. Confirming posts the digest the preview was made from, so what is
imported is exactly what the manager saw; a changed or swapped session entry is refused.
"""

import base64
import binascii

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.http import require_GET, require_http_methods

from timeclamp.exceptions import ApplicationError
from timeclamp.tenancy.decorators import organization_member_required
from timeclamp.tenancy.request import OrganizationRequest

from ..forms import StaffImportUploadForm
from ..imports import TEMPLATE_CSV, StaffImportInvalid, staff_import_commit, staff_import_preview
from ..models import Organization, Role

SESSION_KEY = "staff_import"
_DIGEST_SALT = "staff.views.imports"


class _ImportTampered(Exception):
    pass


def _digest(organization: Organization, data: bytes) -> str:
    value = str(organization.pk).encode() + b":" + data
    return salted_hmac(_DIGEST_SALT, value, algorithm="sha256").hexdigest()


def _session_store(request: OrganizationRequest, *, name: str, data: bytes) -> str:
    if len(data) > settings.STAFF_IMPORT_MAX_BYTES:  # the preview refuses these; never keep one
        raise ValueError("Import too large for the session.")
    digest = _digest(request.organization, data)
    request.session[SESSION_KEY] = {
        "organization_id": request.organization.pk,
        "name": name[:200],
        "data": base64.b64encode(data).decode("ascii"),
        "digest": digest,
    }
    return digest


def _session_load(request: OrganizationRequest) -> tuple[bytes, str, str] | None:
    """(data, digest, file name) of the file waiting for confirmation in this organisation, or None.
    Raises _ImportTampered if the stored bytes no longer match their digest."""
    stored = request.session.get(SESSION_KEY)
    if not isinstance(stored, dict) or stored.get("organization_id") != request.organization.pk:
        return None
    try:
        data = base64.b64decode(str(stored["data"]).encode("ascii"), validate=True)
        digest = str(stored["digest"])
    except (KeyError, ValueError, binascii.Error) as exc:
        raise _ImportTampered from exc
    if not constant_time_compare(digest, _digest(request.organization, data)):
        raise _ImportTampered
    return data, digest, str(stored.get("name", ""))


def _session_clear(request: OrganizationRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def _refuse_tampered(request: OrganizationRequest) -> HttpResponse:
    _session_clear(request)
    messages.error(
        request, "The uploaded file changed after its preview, so nothing was imported. Upload it again."
    )
    return redirect("staff:import", org_slug=request.organization.slug)


@organization_member_required(role=Role.MANAGER)
@require_http_methods(["GET", "POST"])
def staff_import(request: OrganizationRequest) -> HttpResponse:
    organization = request.organization
    if request.method == "POST":
        form = StaffImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            # Read one byte past the limit: enough to refuse a big file without holding all of it.
            data = upload.read(settings.STAFF_IMPORT_MAX_BYTES + 1)
            preview = staff_import_preview(organization=organization, data=data)
            if preview.errors:
                for error in preview.errors:
                    form.add_error("file", error)
            else:
                _session_store(request, name=upload.name, data=data)
                return redirect("staff:import_confirm", org_slug=organization.slug)
    else:
        form = StaffImportUploadForm()
    return render(request, "staff/staff_import.html", {"form": form})


@organization_member_required(role=Role.MANAGER)
@require_http_methods(["GET", "POST"])
def staff_import_confirm(request: OrganizationRequest) -> HttpResponse:
    organization = request.organization
    try:
        stored = _session_load(request)
    except _ImportTampered:
        return _refuse_tampered(request)
    if stored is None:
        if request.method == "POST":
            messages.error(request, "There is no file waiting to be imported. Upload one first.")
        return redirect("staff:import", org_slug=organization.slug)
    data, digest, name = stored

    if request.method == "POST":
        if "cancel" in request.POST:
            _session_clear(request)
            messages.info(request, "Import cancelled. Nothing was saved.")
            return redirect("staff:list", org_slug=organization.slug)
        if not constant_time_compare(request.POST.get("digest", ""), digest):
            messages.error(
                request,
                "Another file was uploaded after the preview you confirmed. Check this preview and "
                "confirm again.",
            )
            return redirect("staff:import_confirm", org_slug=organization.slug)
        try:
            created = staff_import_commit(organization=organization, actor=request.user, data=data)
        except StaffImportInvalid:
            messages.error(request, "Nothing was imported: the file has problems, shown below.")
            return redirect("staff:import_confirm", org_slug=organization.slug)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("staff:import_confirm", org_slug=organization.slug)
        _session_clear(request)
        messages.success(
            request, f"Imported {len(created)} staff member{'s' if len(created) != 1 else ''} from {name}."
        )
        return redirect("staff:list", org_slug=organization.slug)

    preview = staff_import_preview(organization=organization, data=data)
    return render(
        request,
        "staff/staff_import_preview.html",
        {
            "preview": preview,
            "digest": digest,
            "file_name": name,
            "first_error_line": next((row.line for row in preview.rows if not row.is_valid), None),
            "form": StaffImportUploadForm(),
        },
    )


@organization_member_required(role=Role.MANAGER)
@require_GET
def staff_import_template(request: OrganizationRequest) -> HttpResponse:
    # With a byte order mark so that Excel opens it as UTF-8 (accents in names survive the round trip).
    response = HttpResponse(("\ufeff" + TEMPLATE_CSV).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="timeclamp-staff-import.csv"'
    return response
