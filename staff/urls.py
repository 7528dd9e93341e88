from django.urls import path

from .views import staff_members

app_name = "staff"
urlpatterns = [
    path("", staff_members.staff_member_list, name="list"),
]
