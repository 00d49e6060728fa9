"""Segment conditions on survey answers (registered when the app is ready).

* ``survey_answered``: friends who answered any of the chosen surveys;
* ``survey_answer``: friends whose answer matches one of the chosen
  options, each ``"<question id>=<choice>"`` (the answer includes the
  choice) or ``"<question id><=<n>"`` (a rating of n or less), so a
  broadcast can target "rated us ≤ 2" or "answered: prefers mornings".

Both use the builder's checkbox widget, listing the account's surveys and
their questions' choices.
"""

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from messaging.audience.conditions import Condition, _bad, register
from research.choices import CHOICE_KINDS, fixed_choices
from research.models import Answer, Question, Survey, SurveyResponse

_OPTIONS_SURVEYS = 20


def _parse(value: str) -> tuple[int, str, str] | None:
    """``(question id, op, operand)`` of an option value, or None."""
    for op in ("<=", "="):
        head, sep, tail = value.partition(op)
        if sep and head.isdigit() and tail:
            return int(head), op, tail
    return None


@register
class SurveyAnsweredCondition(Condition):
    key = "survey_answered"
    label = gettext_lazy("Answered survey")

    def options(self, account):
        return list(
            Survey.objects.filter(account=account)
            .order_by("-id")
            .values_list("pk", "title")[:50]
        )

    def clean(self, account, raw):
        values = raw.get("values")
        if not isinstance(values, list) or not values:
            raise _bad(_("Choose at least one value for each condition."))
        try:
            ids = sorted({int(v) for v in values})
        except (TypeError, ValueError):
            raise _bad(_("A condition has an invalid value.")) from None
        found = set(
            Survey.objects.filter(account=account, pk__in=ids).values_list(
                "pk", flat=True
            )
        )
        if found != set(ids):
            raise _bad(_("A survey in the audience no longer exists."))
        return {"values": ids}

    def q(self, account, cond, *, now):
        return Q(
            Exists(
                SurveyResponse.objects.filter(
                    friend_id=OuterRef("pk"), survey_id__in=cond["values"]
                )
            )
        )

    def describe(self, account, cond):
        titles = Survey.objects.filter(account=account, pk__in=cond["values"])
        return ", ".join(titles.order_by("pk").values_list("title", flat=True))


@register
class SurveyAnswerCondition(Condition):
    key = "survey_answer"
    label = gettext_lazy("Survey answer")

    def _questions(self, account):
        surveys = Survey.objects.filter(account=account).order_by("-id")[
            :_OPTIONS_SURVEYS
        ]
        return Question.objects.filter(
            survey__in=list(surveys), kind__in=CHOICE_KINDS
        ).select_related("survey")

    def _option_list(self, question) -> list[tuple[str, str]]:
        out = []
        prefix = f"{question.survey.title} · {question.text}"
        for value, label in fixed_choices(question):
            out.append((f"{question.pk}={value}", f"{prefix}: {label}"))
        if question.kind == Question.Kind.RATING:
            for n in range(1, 5):
                out.append((f"{question.pk}<={n}", f"{prefix}: ≤ {n}"))
        return out

    def options(self, account):
        return [o for q in self._questions(account) for o in self._option_list(q)]

    def clean(self, account, raw):
        values = raw.get("values")
        if not isinstance(values, list) or not values or len(values) > 100:
            raise _bad(_("Choose at least one value for each condition."))
        parsed = []
        for value in values:
            found = _parse(str(value))
            if found is None:
                raise _bad(_("A condition has an invalid value."))
            parsed.append((str(value), found))
        ids = {qid for _v, (qid, _op, _x) in parsed}
        questions = {
            q.pk: q
            for q in Question.objects.filter(
                survey__account=account, pk__in=ids, kind__in=CHOICE_KINDS
            ).select_related("survey")
        }
        out = []
        for value, (qid, op, operand) in parsed:
            question = questions.get(qid)
            if question is None:
                raise _bad(_("A survey question in the audience no longer exists."))
            if op == "<=":
                if question.kind != Question.Kind.RATING or operand not in "1234":
                    raise _bad(_("A condition has an invalid value."))
            elif operand not in dict(fixed_choices(question)):
                raise _bad(_("A condition has an invalid value."))
            if value not in out:
                out.append(value)
        return {"values": sorted(out)}

    def q(self, account, cond, *, now):
        q = Q()
        for value in cond["values"]:
            qid, op, operand = _parse(value)
            if op == "<=":
                match = Q(values__0__in=[str(n) for n in range(1, int(operand) + 1)])
            else:
                match = Q(values__contains=[operand])
            q |= Q(
                Exists(
                    Answer.objects.filter(
                        match,
                        question_id=qid,
                        response__friend_id=OuterRef("pk"),
                    )
                )
            )
        return q

    def describe(self, account, cond):
        labels = {}
        ids = {_parse(v)[0] for v in cond["values"]}
        for question in Question.objects.filter(
            survey__account=account, pk__in=ids
        ).select_related("survey"):
            labels.update(dict(self._option_list(question)))
        return ", ".join(str(labels.get(v, v)) for v in cond["values"])
