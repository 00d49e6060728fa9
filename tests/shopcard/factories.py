"""Shop card test helpers: a published card and point codes."""

from shopcard.models import ShopCard
from shopcard.services import card_publish, card_save, point_codes_create


def card_data(**overrides) -> dict:
    data = {
        "name": "Coffee card",
        "goal": 5,
        "rank_up": False,
        "validity_basis": "last_use",
        "validity_months": 6,
        "welcome_points": 0,
        "scan_limit": "none",
        "scan_limit_hours": 1,
        "color": "#06c755",
        "stamp_color": "#ffffff",
    }
    data.update(overrides)
    return data


def published_card(account, actor, *, rewards=None, **overrides) -> ShopCard:
    card = card_save(
        account=account,
        actor=actor,
        data=card_data(**overrides),
        rewards=rewards
        or [
            {"points": 2, "title": "Free cookie", "validity_days": 30},
            {
                "points": overrides.get("goal", 5),
                "title": "Free coffee",
                "validity_days": 30,
            },
        ],
    )
    return card_publish(card=card, actor=actor)


def code(account, actor, *, points=1, single_use=False, valid_days=30):
    return point_codes_create(
        account=account,
        actor=actor,
        points=points,
        single_use=single_use,
        valid_days=valid_days,
    )[0]
