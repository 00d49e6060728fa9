"""The answer choices of each question kind: ``[(value, label), …]``."""

from django.utils.translation import gettext_lazy as _

from messaging.friends.filters import AGE_BANDS, AGE_UNKNOWN
from messaging.friends.regions import PREFECTURES

GENDERS = [("male", _("Male")), ("female", _("Female"))]
RATINGS = [(str(n), str(n)) for n in range(1, 6)]
# Kinds answered by picking among choices (counted and charted).
CHOICE_KINDS = ("single", "multiple", "rating", "prefecture", "age_band", "gender")


def fixed_choices(question) -> list[tuple[str, str]]:
    kind = question.kind
    if kind in ("single", "multiple"):
        return [(c, c) for c in question.choices]
    if kind == "rating":
        return RATINGS
    if kind == "prefecture":
        return list(PREFECTURES)
    if kind == "age_band":
        return [(b.code, b.label) for b in AGE_BANDS if b.code != AGE_UNKNOWN]
    if kind == "gender":
        return GENDERS
    return []
