"""Reads of surveys: the Manager's lists and results, the answering page."""

from collections import Counter
from collections.abc import Iterator

from django.db.models import Count, QuerySet

from accounts.models import OfficialAccount
from core.selectors import get_or_not_found
from messaging.friends.models import Friend
from research.choices import CHOICE_KINDS, fixed_choices
from research.models import Answer, Question, Survey, SurveyResponse

FREE_TEXT_PAGE = 200


def survey_list(*, account: OfficialAccount) -> QuerySet[Survey]:
    return (
        Survey.objects.filter(account=account)
        .annotate(
            question_count=Count("questions", distinct=True),
            response_count=Count("responses", distinct=True),
        )
        .order_by("-id")
    )


def survey_get(*, account: OfficialAccount, survey_id: int) -> Survey:
    return get_or_not_found(Survey.objects.filter(account=account), pk=survey_id)


def question_get(
    *, account: OfficialAccount, survey_id: int, question_id: int
) -> Question:
    return get_or_not_found(
        Question.objects.filter(
            survey__account=account, survey_id=survey_id
        ).select_related("survey"),
        pk=question_id,
    )


def question_list(*, survey: Survey) -> list[Question]:
    return list(survey.questions.select_related("field"))


def survey_results(*, survey: Survey, search: str = "") -> list[dict]:
    """Per question: ``{"question", "answered", "rows": [(label, count)],
    "texts": [str]}``; free text filtered by ``search`` (case-insensitive)."""
    questions = question_list(survey=survey)
    answers = Answer.objects.filter(response__survey=survey)
    counts: dict[int, Counter] = {q.pk: Counter() for q in questions}
    answered: Counter = Counter()
    for qid, values in answers.filter(
        question__kind__in=list(CHOICE_KINDS) + ["date"]
    ).values_list("question_id", "values"):
        answered[qid] += 1
        for value in values:
            counts[qid][value] += 1
    texts: dict[int, list[str]] = {q.pk: [] for q in questions}
    free = answers.filter(question__kind=Question.Kind.TEXT).exclude(text="")
    per_question = (
        free.order_by()
        .values("question_id")
        .annotate(n=Count("id"))
        .values_list("question_id", "n")
    )
    for qid, n in per_question:
        answered[qid] = n
    if search:
        free = free.filter(text__icontains=search)
    for qid, text in free.order_by("-response__updated_at", "-id").values_list(
        "question_id", "text"
    )[:FREE_TEXT_PAGE]:
        texts[qid].append(text)
    out = []
    for question in questions:
        if question.kind in CHOICE_KINDS:
            rows = [
                (str(label), counts[question.pk][value])
                for value, label in fixed_choices(question)
            ]
            if question.kind in ("prefecture",):
                rows = [row for row in rows if row[1]]
        elif question.kind == Question.Kind.DATE:
            rows = sorted(counts[question.pk].items())
        else:
            rows = []
        out.append(
            {
                "question": question,
                "answered": answered[question.pk],
                "rows": rows,
                "texts": texts[question.pk],
            }
        )
    return out


def survey_csv_rows(*, survey: Survey) -> tuple[list[str], Iterator[list]]:
    """CSV header and rows: one row per response, one column per question."""
    questions = question_list(survey=survey)
    labels = {q.pk: dict(fixed_choices(q)) for q in questions}
    header = ["user_id", "display_name", "answered_at"] + [q.text for q in questions]

    def rows():
        responses = (
            SurveyResponse.objects.filter(survey=survey)
            .select_related("friend__line_user")
            .prefetch_related("answers")
            .order_by("id")
        )
        for response in responses.iterator(chunk_size=500):
            by_q = {a.question_id: a for a in response.answers.all()}
            row = [
                response.friend.line_user.user_id,
                response.friend.line_user.display_name,
                response.updated_at.isoformat(),
            ]
            for question in questions:
                answer = by_q.get(question.pk)
                if answer is None:
                    row.append("")
                elif question.kind == Question.Kind.TEXT:
                    row.append(answer.text)
                else:
                    names = labels[question.pk]
                    row.append(" / ".join(str(names.get(v, v)) for v in answer.values))
            yield row

    return header, rows()


def survey_for_customer(*, public_id: str) -> Survey:
    return get_or_not_found(
        Survey.objects.filter(published_at__isnull=False).select_related("account"),
        public_id=public_id,
    )


def answers_of(*, survey: Survey, friend: Friend | None) -> dict[int, Answer]:
    if friend is None:
        return {}
    return {
        a.question_id: a
        for a in Answer.objects.filter(response__survey=survey, response__friend=friend)
    }
