"""The Manager's research pages at ``/manager/<account>/research/``.

Every member sees surveys; building and publishing reach customers, so
they need ``Perm.SEND``; results are insights (``Perm.VIEW_INSIGHTS``).
Another account's survey or question is 404.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import account_view
from accounts.permissions import Perm, request_can
from core.csv_export import csv_response
from core.exceptions import ApplicationError
from core.forms import form_errors_from
from messaging.friends.models import CustomField
from messaging.store.coupons import coupon_choices
from research import selectors, services
from research.forms import QuestionForm, SurveyForm


@account_view()
def survey_list(request):
    return render(
        request,
        "research/list.html",
        {
            "surveys": selectors.survey_list(account=request.account),
            "can_publish": request_can(request, Perm.SEND),
            "can_insights": request_can(request, Perm.VIEW_INSIGHTS),
        },
    )


@account_view(Perm.SEND)
def survey_create(request):
    form = SurveyForm(
        request.POST or None,
        request.FILES or None,
        coupons=coupon_choices(request.account),
    )
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(
                account=request.account, actor=request.user, **form.cleaned_data
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("Survey created. Add its questions."))
            return redirect("research:survey-detail", request.account.slug, survey.pk)
    return render(request, "research/new.html", {"form": form})


def _question_form(account, data=None) -> QuestionForm:
    return QuestionForm(data, fields=CustomField.objects.filter(account=account))


def _survey_form(request, survey, data=None, files=None) -> SurveyForm:
    return SurveyForm(
        data,
        files,
        coupons=coupon_choices(request.account),
        initial={
            "title": survey.title,
            "description": survey.description,
            "starts_at": survey.starts_at,
            "ends_at": survey.ends_at,
            "thank_you_coupon": survey.thank_you_coupon.coupon_id
            if survey.thank_you_coupon
            else "",
        },
    )


def _detail_page(request, survey, *, form=None, question_form=None, status=200):
    """The survey's page; the forms passed keep what staff typed."""
    return render(
        request,
        "research/detail.html",
        {
            "survey": survey,
            "form": form or _survey_form(request, survey),
            "questions": selectors.question_list(survey=survey),
            "question_form": question_form or _question_form(request.account),
            "can_publish": request_can(request, Perm.SEND),
            "link": request.build_absolute_uri(
                reverse("talk:survey", kwargs={"public_id": survey.public_id})
            ),
        },
        status=status,
    )


@account_view()
def survey_detail(request, survey_id: int):
    """The survey's settings, its questions and the form adding one."""
    survey = selectors.survey_get(account=request.account, survey_id=survey_id)
    can_publish = request_can(request, Perm.SEND)
    form = _survey_form(request, survey, request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not can_publish:
            return redirect("research:survey-detail", request.account.slug, survey.pk)
        if form.is_valid():
            try:
                services.survey_update(
                    account=request.account,
                    actor=request.user,
                    survey=survey,
                    **form.cleaned_data,
                )
            except ApplicationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, _("Survey saved."))
                return redirect(
                    "research:survey-detail", request.account.slug, survey.pk
                )
    return _detail_page(request, survey, form=form)


@account_view(Perm.SEND)
@require_POST
def question_add(request, survey_id: int):
    survey = selectors.survey_get(account=request.account, survey_id=survey_id)
    form = _question_form(request.account, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.question_add(
                account=request.account,
                actor=request.user,
                survey=survey,
                kind=data["kind"],
                text=data["text"],
                choices=data["choices"].splitlines(),
                required=data["required"],
                maps_to=data["maps_to"] or "",
                field_id=data["field"],
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("Question added."))
            return redirect("research:survey-detail", request.account.slug, survey.pk)
    return _detail_page(request, survey, question_form=form, status=400)


@account_view(Perm.SEND)
@require_POST
def question_delete(request, survey_id: int, question_id: int):
    question = selectors.question_get(
        account=request.account, survey_id=survey_id, question_id=question_id
    )
    try:
        services.question_delete(
            account=request.account, actor=request.user, question=question
        )
    except ApplicationError as error:
        # Refused (a published survey's questions are fixed): the page
        # again, saying why, with nothing changed.
        messages.error(request, error.message)
        return _detail_page(request, question.survey, status=409)
    messages.success(request, _("Question deleted."))
    return redirect("research:survey-detail", request.account.slug, survey_id)


@account_view(Perm.SEND)
@require_POST
def survey_publish(request, survey_id: int):
    survey = selectors.survey_get(account=request.account, survey_id=survey_id)
    try:
        services.survey_publish(
            account=request.account, actor=request.user, survey=survey
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Survey published. Share its link in a message or post.")
        )
    return redirect("research:survey-detail", request.account.slug, survey.pk)


@account_view(Perm.SEND)
@require_POST
def survey_delete(request, survey_id: int):
    survey = selectors.survey_get(account=request.account, survey_id=survey_id)
    services.survey_delete(account=request.account, actor=request.user, survey=survey)
    messages.success(request, _("Survey deleted."))
    return redirect("research:survey-list", request.account.slug)


@account_view(Perm.VIEW_INSIGHTS)
def survey_results(request, survey_id: int):
    survey = selectors.survey_get(account=request.account, survey_id=survey_id)
    search = (request.GET.get("q") or "").strip()[:100]
    results = selectors.survey_results(survey=survey, search=search)
    charts = {
        str(r["question"].pk): [[label, count] for label, count in r["rows"]]
        for r in results
        if r["rows"]
    }
    return render(
        request,
        "research/results.html",
        {
            "survey": survey,
            "results": results,
            "charts": charts,
            "search": search,
            "responses": survey.responses.count(),
        },
    )


@account_view(Perm.VIEW_INSIGHTS)
def survey_results_csv(request, survey_id: int):
    survey = selectors.survey_get(account=request.account, survey_id=survey_id)
    header, rows = selectors.survey_csv_rows(survey=survey)
    return csv_response(
        request, header=header, rows=rows, filename=f"survey-{survey.pk}.csv"
    )
