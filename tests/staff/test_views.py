import base64
import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from staff.models import AuditEvent, Role, StaffMember
from staff.views.imports import SESSION_KEY
from tests.factories import MembershipFactory, OrganizationFactory, StaffMemberFactory, UserFactory

ARCHIVED = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
HEADER = "first_name,middle_names,last_name,date_of_birth,email,employee_code,start_date"


def url(organization, name: str, **kwargs) -> str:
    return reverse(f"staff:{name}", kwargs={"org_slug": organization.slug, **kwargs})


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def staff_count() -> int:
    return StaffMember.all_organizations.count()


def form_data(**overrides) -> dict:
    return {
        "first_name": "Jane",
        "middle_names": "Maree",
        "last_name": "Citizen",
        "date_of_birth": "1990-03-03",
        "email": "jane@example.com",
        "employee_code": "E001",
        "start_date": "2024-07-01",
        "is_active": "on",
        "user": "",
    } | overrides


def csv_upload(*lines: str, name: str = "staff.csv", encoding: str = "utf-8"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = ("\r\n".join(lines) + "\r\n").encode(encoding)
    return SimpleUploadedFile(name, content, content_type="text/csv")


# --- who may see the staff pages ---------------------------------------------------------------


def staff_urls(organization) -> list[tuple[str, str]]:
    member = StaffMemberFactory(organization=organization)
    return [
        ("get", url(organization, "list")),
        ("get", url(organization, "new")),
        ("post", url(organization, "new")),
        ("get", url(organization, "edit", staff_member_id=member.pk)),
        ("post", url(organization, "edit", staff_member_id=member.pk)),
        ("post", url(organization, "archive", staff_member_id=member.pk)),
        ("post", url(organization, "restore", staff_member_id=member.pk)),
        ("get", url(organization, "import")),
        ("post", url(organization, "import")),
        ("get", url(organization, "import_confirm")),
        ("post", url(organization, "import_confirm")),
        ("get", url(organization, "import_template")),
    ]


def test_staff_role_gets_404_on_every_staff_page(organization, staff_client):
    pages = staff_urls(organization)
    before = staff_count()
    for method, page in pages:
        response = getattr(staff_client, method)(page)
        assert response.status_code == 404, f"{method.upper()} {page}"
    assert staff_count() == before


@pytest.mark.parametrize("client_fixture", ["manager_client", "admin_client"])
def test_managers_and_admins_can_open_the_staff_pages(request, organization, client_fixture):
    client = request.getfixturevalue(client_fixture)
    member = StaffMemberFactory(organization=organization)
    for name, kwargs in [
        ("list", {}),
        ("new", {}),
        ("edit", {"staff_member_id": member.pk}),
        ("import", {}),
        ("import_template", {}),
    ]:
        assert client.get(url(organization, name, **kwargs)).status_code == 200, name


def test_archive_and_restore_refuse_get(organization, manager_client):
    member = StaffMemberFactory(organization=organization)

    assert manager_client.get(url(organization, "archive", staff_member_id=member.pk)).status_code == 405
    assert manager_client.get(url(organization, "restore", staff_member_id=member.pk)).status_code == 405


def test_another_organisations_staff_member_is_404(organization, other_organization, manager_client):
    theirs = StaffMemberFactory(organization=other_organization)

    assert manager_client.get(url(organization, "edit", staff_member_id=theirs.pk)).status_code == 404
    assert manager_client.post(url(organization, "archive", staff_member_id=theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_archived


# --- list ----------------------------------------------------------------------------------------


def test_list_shows_each_column_in_australian_format(organization, manager_client):
    login = MembershipFactory(
        organization=organization, user=UserFactory(email="jane.login@example.com")
    ).user
    StaffMemberFactory(
        organization=organization,
        first_name="Jane",
        middle_names="Maree",
        last_name="Citizen",
        date_of_birth=datetime.date(1990, 3, 3),
        email="jane@example.com",
        employee_code="E001",
        start_date=datetime.date(2024, 7, 1),
        user=login,
    )
    StaffMemberFactory(organization=organization, first_name="Idle", last_name="Person", is_active=False)

    response = manager_client.get(url(organization, "list"))

    html = response.content.decode()
    assert response.status_code == 200
    for text in [
        "Jane Maree Citizen",
        "E001",
        "3 Mar 1990",
        "jane@example.com",
        "1 Jul 2024",
        "jane.login@example.com",
    ]:
        assert text in html
    assert '<span class="badge badge-active">Active</span>' in html
    assert '<span class="badge badge-inactive">Inactive</span>' in html
    assert "2 current staff members" in html


def test_list_hides_archived_staff_until_asked(organization, manager_client):
    StaffMemberFactory(organization=organization, first_name="Current", last_name="Person")
    StaffMemberFactory(
        organization=organization, first_name="Former", last_name="Person", archived_at=ARCHIVED
    )

    default = manager_client.get(url(organization, "list")).content.decode()
    archived = manager_client.get(url(organization, "list"), {"archived": "1"}).content.decode()

    assert "Current Person" in default
    assert "Former Person" not in default
    assert "Former Person" in archived
    assert ">Archived</span>" in archived
    assert "Restore" in archived


def test_list_search(organization, manager_client):
    StaffMemberFactory(organization=organization, first_name="Jane", last_name="Citizen")
    StaffMemberFactory(organization=organization, first_name="Sam", last_name="Nguyen")

    html = manager_client.get(url(organization, "list"), {"q": "citiz"}).content.decode()

    assert "Jane Citizen" in html
    assert "Sam Nguyen" not in html
    assert "1 current staff member matching “citiz”" in html


def test_list_search_without_results_explains_itself(organization, manager_client):
    StaffMemberFactory(organization=organization)

    html = manager_client.get(url(organization, "list"), {"q": "zzz"}).content.decode()

    assert "Nobody matches “zzz”" in html
    assert "Show all staff" in html


def test_list_empty_state_offers_both_ways_to_add_staff(organization, manager_client):
    html = manager_client.get(url(organization, "list")).content.decode()

    assert "Add the people you pay" in html
    assert url(organization, "new") in html
    assert url(organization, "import") in html
    assert url(organization, "import_template") in html
    assert 'type="search"' not in html  # nothing to search yet


def test_list_when_everyone_is_archived_points_to_the_archive(organization, manager_client):
    StaffMemberFactory(organization=organization, archived_at=ARCHIVED)

    html = manager_client.get(url(organization, "list")).content.decode()

    assert "Everyone is archived" in html


def test_list_is_paginated_50_a_page_keeping_the_filters(organization, manager_client):
    for i in range(60):
        StaffMemberFactory(organization=organization, first_name="Pat", last_name=f"Person{i:02d}")

    first = manager_client.get(url(organization, "list"), {"q": "pat"}).content.decode()
    second = manager_client.get(url(organization, "list"), {"q": "pat", "page": "2"}).content.decode()

    assert first.count('class="staff-name"') == 50
    assert second.count('class="staff-name"') == 10
    assert "Page 1 of 2" in first
    assert "?q=pat&amp;page=2" in first
    assert "60 current staff members" in first
    assert "Pat Person59" in second


@pytest.mark.parametrize("how_many", [5, 60])
def test_list_query_count_does_not_grow_with_staff(
    organization, manager_client, django_assert_max_num_queries, how_many
):
    for _ in range(how_many):
        StaffMemberFactory(organization=organization, user=MembershipFactory(organization=organization).user)

    # Page chrome (session, user, membership, navigation, Xero status) + staff count + one page of
    # staff with their logins. The same bound holds for 5 and 60 people.
    with django_assert_max_num_queries(8):
        response = manager_client.get(url(organization, "list"))

    assert response.status_code == 200


def test_list_forms_ask_for_confirmation(organization, manager_client):
    StaffMemberFactory(organization=organization, first_name="Jane", last_name="Citizen")

    html = manager_client.get(url(organization, "list")).content.decode()

    assert 'data-confirm="Archive Jane Citizen?' in html


# --- add and edit ----------------------------------------------------------------------------


def test_add_staff_member(organization, manager_client, manager_member):
    response = manager_client.post(url(organization, "new"), form_data())

    assert response.status_code == 302
    assert response["Location"] == url(organization, "list")
    member = StaffMember.objects.get()
    assert member.full_name == "Jane Maree Citizen"
    assert member.date_of_birth == datetime.date(1990, 3, 3)
    assert member.start_date == datetime.date(2024, 7, 1)
    assert member.employee_code == "E001"
    assert member.is_active
    assert messages_of(response) == ["Jane Maree Citizen added to your staff."]
    assert AuditEvent.objects.get(action="staff_member.created").actor == manager_member.user


def test_add_and_start_another(organization, manager_client):
    response = manager_client.post(url(organization, "new"), form_data(add_another="1"))

    assert response["Location"] == url(organization, "new")


def test_add_accepts_a_typed_australian_date(organization, manager_client):
    manager_client.post(url(organization, "new"), form_data(date_of_birth="25/12/1985"))

    assert StaffMember.objects.get().date_of_birth == datetime.date(1985, 12, 25)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "First name is required."),
        ({"first_name": "   "}, "first_name", "First name is required."),
        ({"last_name": " \t"}, "last_name", "Last name is required."),
        (
            {"last_name": "X" * 36},
            "last_name",
            "Last name must be at most 35 characters (Xero&#x27;s limit); it has 36.",
        ),
        (
            {"middle_names": "M" * 36},
            "middle_names",
            "Middle name(s) must be at most 35 characters (Xero&#x27;s limit); it has 36.",
        ),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "Date of birth cannot be in the future."),
        ({"date_of_birth": "1899-12-31"}, "date_of_birth", "Date of birth cannot be before 1900."),
        ({"date_of_birth": "1990-02-31"}, "date_of_birth", "Enter a real date of birth, e.g. 3 March 1990."),
        ({"date_of_birth": "soon"}, "date_of_birth", "Enter a real date of birth, e.g. 3 March 1990."),
        ({"date_of_birth": ""}, "date_of_birth", "Date of birth is required"),
        ({"email": "jane@"}, "email", "Enter a valid email address."),
    ],
)
def test_add_shows_errors_on_the_field_and_saves_nothing(
    organization, manager_client, overrides, field, message
):
    response = manager_client.post(url(organization, "new"), form_data(**overrides))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(response.context["form"].errors) == [field]
    assert staff_count() == 0


def test_add_refuses_a_duplicate_employee_code_on_the_field(organization, manager_client):
    StaffMemberFactory(organization=organization, employee_code="E001")

    response = manager_client.post(url(organization, "new"), form_data(employee_code="E001"))

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "employee_code": ["Employee code E001 is already used by someone else."]
    }
    assert staff_count() == 1


def test_login_choices_are_this_organisations_unlinked_members(
    organization, other_organization, manager_client
):
    free = MembershipFactory(organization=organization, user=UserFactory(email="free@example.com")).user
    taken = MembershipFactory(organization=organization, user=UserFactory(email="taken@example.com")).user
    StaffMemberFactory(organization=organization, user=taken)
    outsider = MembershipFactory(
        organization=other_organization, user=UserFactory(email="outsider@example.com")
    )

    response = manager_client.get(url(organization, "new"))
    choices = list(response.context["form"].fields["user"].queryset)

    assert free in choices
    assert taken not in choices
    assert outsider.user not in choices
    refused = manager_client.post(url(organization, "new"), form_data(user=str(outsider.user.pk)))
    assert "user" in refused.context["form"].errors
    linked = manager_client.post(url(organization, "new"), form_data(user=str(free.pk)))
    assert linked.status_code == 302
    assert StaffMember.objects.get(user=free).full_name == "Jane Maree Citizen"


def test_edit_form_is_filled_in(organization, manager_client):
    member = StaffMemberFactory(
        organization=organization, first_name="Jane", date_of_birth=datetime.date(1990, 3, 3)
    )

    html = manager_client.get(url(organization, "edit", staff_member_id=member.pk)).content.decode()

    assert 'value="Jane"' in html
    assert 'value="1990-03-03"' in html
    assert 'type="date"' in html


def test_edit_staff_member(organization, manager_client):
    member = StaffMemberFactory(organization=organization, employee_code="E001")

    response = manager_client.post(
        url(organization, "edit", staff_member_id=member.pk),
        form_data(first_name="Janet", employee_code="E001"),
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.first_name == "Janet"
    assert messages_of(response) == ["Changes to Janet Maree Citizen saved."]


def test_edit_refuses_another_persons_employee_code(organization, manager_client):
    StaffMemberFactory(organization=organization, employee_code="E001")
    member = StaffMemberFactory(organization=organization, employee_code="E002")

    response = manager_client.post(
        url(organization, "edit", staff_member_id=member.pk), form_data(employee_code="E001")
    )

    assert "Employee code E001 is already used by someone else." in response.content.decode()
    member.refresh_from_db()
    assert member.employee_code == "E002"


def test_edit_of_an_archived_person_has_no_active_checkbox(organization, manager_client):
    member = StaffMemberFactory(organization=organization, archived_at=ARCHIVED, is_active=False)

    response = manager_client.get(url(organization, "edit", staff_member_id=member.pk))

    assert "is_active" not in response.context["form"].fields
    assert "Restore" in response.content.decode()
    manager_client.post(url(organization, "edit", staff_member_id=member.pk), form_data())
    member.refresh_from_db()
    assert member.is_archived
    assert not member.is_active


# --- archive and restore ---------------------------------------------------------------------


def test_archive_then_restore(organization, manager_client):
    member = StaffMemberFactory(organization=organization, first_name="Jane", last_name="Citizen")

    response = manager_client.post(url(organization, "archive", staff_member_id=member.pk))

    assert response["Location"] == url(organization, "list")
    assert messages_of(response)[0].startswith("Jane Citizen archived.")
    member.refresh_from_db()
    assert member.is_archived
    assert ">Jane Citizen</a>" not in manager_client.get(url(organization, "list")).content.decode()

    response = manager_client.post(url(organization, "restore", staff_member_id=member.pk))

    assert messages_of(response) == ["Jane Citizen restored and active again."]
    member.refresh_from_db()
    assert not member.is_archived
    assert member.is_active


def test_archiving_twice_is_harmless(organization, manager_client):
    member = StaffMemberFactory(
        organization=organization, first_name="Jane", last_name="Citizen", archived_at=ARCHIVED
    )

    response = manager_client.post(url(organization, "archive", staff_member_id=member.pk))

    assert messages_of(response) == ["Jane Citizen was already archived."]
    member.refresh_from_db()
    assert member.archived_at == ARCHIVED


# --- CSV import ----------------------------------------------------------------------------------


def upload(client, organization, file):
    return client.post(url(organization, "import"), {"file": file})


def test_import_upload_preview_and_confirm(organization, manager_client):
    response = upload(
        manager_client,
        organization,
        csv_upload(HEADER, "Jane,,Citizen,1990-03-03,,E001,", "Sam,,Nguyen,25/12/1985,,E002,"),
    )
    assert response.status_code == 302
    assert response["Location"] == url(organization, "import_confirm")
    assert staff_count() == 0

    preview = manager_client.get(url(organization, "import_confirm"))
    html = preview.content.decode()
    assert "2 rows ready to import." in html
    assert "25 Dec 1985" in html
    assert "Import 2 staff members" in html
    assert staff_count() == 0

    response = manager_client.post(url(organization, "import_confirm"), {"digest": preview.context["digest"]})

    assert response["Location"] == url(organization, "list")
    assert messages_of(response) == ["Imported 2 staff members from staff.csv."]
    assert sorted(StaffMember.objects.values_list("employee_code", flat=True)) == ["E001", "E002"]
    assert SESSION_KEY not in manager_client.session


def test_import_preview_highlights_bad_rows_and_cannot_be_confirmed(organization, manager_client):
    upload(
        manager_client,
        organization,
        csv_upload(HEADER, "Jane,,Citizen,1990-03-03,,,", ",,Nguyen,2999-01-01,,,", "Ann,,Lee,1980-01-01,,,"),
    )

    preview = manager_client.get(url(organization, "import_confirm"))
    html = preview.content.decode()

    assert "2 rows ready, 1 with errors: fix the file and upload again." in html
    assert html.count('class="row-error"') == 1
    assert '<tr id="line-3" class="row-error">' in html
    assert "First name is required." in html
    assert "Date of birth cannot be in the future." in html
    assert "Import 2" not in html
    response = manager_client.post(url(organization, "import_confirm"), {"digest": preview.context["digest"]})
    assert messages_of(response) == ["Nothing was imported: the file has problems, shown below."]
    assert staff_count() == 0


@pytest.mark.parametrize(
    ("lines", "encoding", "message"),
    [
        (
            ["first_name,surname", "Jane,Citizen"],
            "utf-8",
            "Missing required columns: last_name, date_of_birth.",
        ),
        ([HEADER, "Zoë,,Dubé,1990-03-03,,,"], "latin-1", "CSV UTF-8"),
        ([HEADER], "utf-8", "The file has a header row but nobody in it."),
    ],
)
def test_import_file_problems_show_on_the_upload_form(organization, manager_client, lines, encoding, message):
    response = upload(manager_client, organization, csv_upload(*lines, encoding=encoding))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    assert SESSION_KEY not in manager_client.session
    assert staff_count() == 0


def test_import_of_an_empty_file(organization, manager_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = upload(
        manager_client, organization, SimpleUploadedFile("empty.csv", b"", content_type="text/csv")
    )

    assert response.context["form"].errors["file"] == [
        "The file is empty. Add a header row and one row per person."
    ]


def test_import_of_a_file_over_the_size_limit(organization, manager_client, settings):
    settings.STAFF_IMPORT_MAX_BYTES = 100

    response = upload(manager_client, organization, csv_upload(HEADER, *["Jane,,Citizen,1990-03-03,,,"] * 5))

    assert response.context["form"].errors["file"][0].startswith("The file is larger than 100")
    assert SESSION_KEY not in manager_client.session


def test_import_with_a_bom_file(organization, manager_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = "\ufeff" + HEADER + "\r\nZoë,,Dubé,1990-03-03,,,\r\n"
    upload(
        manager_client, organization, SimpleUploadedFile("s.csv", content.encode(), content_type="text/csv")
    )
    digest = manager_client.get(url(organization, "import_confirm")).context["digest"]

    manager_client.post(url(organization, "import_confirm"), {"digest": digest})

    assert StaffMember.objects.get().full_name == "Zoë Dubé"


def test_import_confirm_refuses_a_tampered_session(organization, manager_client):
    upload(manager_client, organization, csv_upload(HEADER, "Jane,,Citizen,1990-03-03,,,"))
    digest = manager_client.get(url(organization, "import_confirm")).context["digest"]
    session = manager_client.session
    evil = (HEADER + "\r\nMallory,,Evil,1990-03-03,,,\r\n").encode()
    session[SESSION_KEY] = session[SESSION_KEY] | {"data": base64.b64encode(evil).decode()}
    session.save()

    response = manager_client.post(url(organization, "import_confirm"), {"digest": digest})

    assert response["Location"] == url(organization, "import")
    assert messages_of(response) == [
        "The uploaded file changed after its preview, so nothing was imported. Upload it again."
    ]
    assert staff_count() == 0
    assert SESSION_KEY not in manager_client.session


def test_import_confirm_refuses_a_session_with_garbage(organization, manager_client):
    upload(manager_client, organization, csv_upload(HEADER, "Jane,,Citizen,1990-03-03,,,"))
    session = manager_client.session
    session[SESSION_KEY] = session[SESSION_KEY] | {"data": "not base64!"}
    session.save()

    response = manager_client.post(url(organization, "import_confirm"), {"digest": "x"})

    assert response["Location"] == url(organization, "import")
    assert staff_count() == 0


def test_import_confirm_refuses_a_preview_other_than_the_latest_upload(organization, manager_client):
    upload(manager_client, organization, csv_upload(HEADER, "Jane,,Citizen,1990-03-03,,,"))
    first_digest = manager_client.get(url(organization, "import_confirm")).context["digest"]
    upload(manager_client, organization, csv_upload(HEADER, "Sam,,Nguyen,1985-12-25,,,"))

    response = manager_client.post(url(organization, "import_confirm"), {"digest": first_digest})

    assert response["Location"] == url(organization, "import_confirm")
    assert messages_of(response)[0].startswith("Another file was uploaded after the preview you confirmed.")
    assert staff_count() == 0


def test_import_waiting_in_one_organisation_cannot_be_confirmed_in_another(
    organization, manager_client, manager_member
):
    upload(manager_client, organization, csv_upload(HEADER, "Jane,,Citizen,1990-03-03,,,"))
    digest = manager_client.get(url(organization, "import_confirm")).context["digest"]
    second = OrganizationFactory(slug="second-shop")
    MembershipFactory(organization=second, user=manager_member.user, role=Role.MANAGER)

    response = manager_client.post(url(second, "import_confirm"), {"digest": digest})

    assert response["Location"] == url(second, "import")
    assert StaffMember.all_organizations.count() == 0


def test_import_confirm_rechecks_against_staff_added_since_the_preview(organization, manager_client):
    upload(manager_client, organization, csv_upload(HEADER, "Jane,,Citizen,1990-03-03,,E001,"))
    digest = manager_client.get(url(organization, "import_confirm")).context["digest"]
    StaffMemberFactory(organization=organization, employee_code="E001")

    manager_client.post(url(organization, "import_confirm"), {"digest": digest})

    assert staff_count() == 1


def test_import_cancel_forgets_the_file(organization, manager_client):
    upload(manager_client, organization, csv_upload(HEADER, "Jane,,Citizen,1990-03-03,,,"))

    response = manager_client.post(url(organization, "import_confirm"), {"cancel": "1"})

    assert messages_of(response) == ["Import cancelled. Nothing was saved."]
    assert SESSION_KEY not in manager_client.session
    assert manager_client.get(url(organization, "import_confirm"))["Location"] == url(organization, "import")
    assert staff_count() == 0


def test_import_confirm_without_an_upload_goes_back_to_the_upload_page(organization, manager_client):
    response = manager_client.post(url(organization, "import_confirm"), {"digest": "x"})

    assert response["Location"] == url(organization, "import")
    assert messages_of(response) == ["There is no file waiting to be imported. Upload one first."]


def test_import_template_download(organization, manager_client):
    response = manager_client.get(url(organization, "import_template"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="timeclamp-staff-import.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf" + HEADER.encode())
