"""The price plans every installation starts with (spec section 5.1)."""

# Standard plan additional-message prices by the month's total (yen per
# message), after LINE's published tier table; the last tier has no bound.
STANDARD_TIERS = [
    [50_000, "3.0"],
    [100_000, "2.8"],
    [200_000, "2.6"],
    [300_000, "2.4"],
    [500_000, "2.2"],
    [1_000_000, "2.0"],
    [3_000_000, "1.9"],
    [5_000_000, "1.8"],
    [10_000_000, "1.7"],
    [30_000_000, "1.6"],
    [50_000_000, "1.5"],
    [None, "1.4"],
]

PLANS = [
    # code, name, fee, free messages, additional allowed, tiers, order
    ("communication", "Communication", 0, 200, False, [], 1),
    ("light", "Light", 5_000, 5_000, False, [], 2),
    ("standard", "Standard", 15_000, 30_000, True, STANDARD_TIERS, 3),
]


def plans_seed(plan_model) -> None:
    """Create or refresh the default plans; takes the (historical) model."""
    for code, name, fee, free, additional, tiers, order in PLANS:
        plan_model.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "monthly_fee_yen": fee,
                "free_messages": free,
                "allows_additional": additional,
                "additional_price_tiers": tiers,
                "sort_order": order,
            },
        )
