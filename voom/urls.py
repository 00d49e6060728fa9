"""VOOM post pages, mounted at ``/manager/<account_slug>/posts/``."""

from django.urls import path

from voom import views

app_name = "voom"

urlpatterns = [
    path("", views.post_list, name="post-list"),
    path("new/", views.post_create, name="post-create"),
    path("<int:post_id>/", views.post_detail, name="post-detail"),
    path("<int:post_id>/delete", views.post_delete, name="post-delete"),
    path(
        "<int:post_id>/comments/<int:comment_id>/hide",
        views.comment_hide,
        name="comment-hide",
    ),
    path(
        "<int:post_id>/comments/<int:comment_id>/reply",
        views.comment_reply,
        name="comment-reply",
    ),
    path(
        "<int:post_id>/comments/<int:comment_id>/block",
        views.comment_block,
        name="comment-block",
    ),
]
