"""Rich menu pages, mounted at ``/manager/<account_slug>/richmenus/``."""

from django.urls import path

from richmenu import views

app_name = "richmenu"

urlpatterns = [
    path("", views.richmenu_list, name="richmenu-list"),
    path("new/", views.richmenu_create, name="richmenu-create"),
    path("tag-rules/", views.richmenu_tag_rule_create, name="tag-rule-create"),
    path(
        "tag-rules/<int:rule_id>/delete",
        views.richmenu_tag_rule_delete,
        name="tag-rule-delete",
    ),
    path("<int:menu_id>/edit/", views.richmenu_update, name="richmenu-update"),
    path("<int:menu_id>/default", views.richmenu_default, name="richmenu-default"),
    path("<int:menu_id>/delete", views.richmenu_delete, name="richmenu-delete"),
]
