"""Shop card pages, mounted at ``/manager/<account_slug>/shopcard/``."""

from django.urls import path

from shopcard import views

app_name = "shopcard"

urlpatterns = [
    path("", views.card_list, name="card-list"),
    path("new/", views.card_edit, name="card-create"),
    path("<int:card_id>/", views.card_edit, name="card-edit"),
    path("<int:card_id>/publish", views.card_publish, name="card-publish"),
    path("codes/", views.code_create, name="code-create"),
    path("codes/sheet.pdf", views.code_sheet_pdf, name="code-sheet-pdf"),
    path("codes/sheet.png", views.code_sheet_png, name="code-sheet-png"),
    path(
        "friends/<int:friend_id>/points",
        views.friend_points,
        name="friend-points",
    ),
]
