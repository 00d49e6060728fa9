"""Research (survey) pages, mounted at ``/manager/<account_slug>/research/``."""

from django.urls import path

from research import views

app_name = "research"

urlpatterns = [
    path("", views.survey_list, name="survey-list"),
    path("new/", views.survey_create, name="survey-create"),
    path("<int:survey_id>/", views.survey_detail, name="survey-detail"),
    path("<int:survey_id>/questions", views.question_add, name="question-add"),
    path(
        "<int:survey_id>/questions/<int:question_id>/delete",
        views.question_delete,
        name="question-delete",
    ),
    path("<int:survey_id>/publish", views.survey_publish, name="survey-publish"),
    path("<int:survey_id>/delete", views.survey_delete, name="survey-delete"),
    path("<int:survey_id>/results/", views.survey_results, name="survey-results"),
    path(
        "<int:survey_id>/results.csv",
        views.survey_results_csv,
        name="survey-results-csv",
    ),
]
