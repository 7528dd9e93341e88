from django.urls import path

from .views import imports, staff_members

app_name = "staff"
urlpatterns = [
    path("", staff_members.staff_member_list, name="list"),
    path("new/", staff_members.staff_member_new, name="new"),
    path("<int:staff_member_id>/edit/", staff_members.staff_member_edit, name="edit"),
    path("<int:staff_member_id>/archive/", staff_members.staff_member_archive, name="archive"),
    path("<int:staff_member_id>/restore/", staff_members.staff_member_restore, name="restore"),
    path("import/", imports.staff_import, name="import"),
    path("import/confirm/", imports.staff_import_confirm, name="import_confirm"),
    path("import/template.csv", imports.staff_import_template, name="import_template"),
]
