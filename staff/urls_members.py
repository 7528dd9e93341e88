from django.urls import path

from .views import members

app_name = "members"
urlpatterns = [
    path("", members.member_list, name="list"),
    path("<int:membership_id>/role/", members.member_role, name="role"),
    path("<int:membership_id>/remove/", members.member_remove, name="remove"),
]
