"""The layout templates LINE's Manager offers (large 2500×1686, compact
2500×843, 1–6 areas). Each layout is rows of column widths in sixths of
the width; ``layout_bounds`` turns one into LINE's area bounds."""

from django.utils.translation import gettext_lazy as _

LARGE = (2500, 1686)
COMPACT = (2500, 843)

# name: (size, label, [(row height share, [column width shares])])
LAYOUTS: dict[str, tuple[tuple[int, int], object, list]] = {
    "large-6": (LARGE, _("Large: 6 areas (3 × 2)"), [(1, [1, 1, 1]), (1, [1, 1, 1])]),
    "large-4": (LARGE, _("Large: 4 areas (2 × 2)"), [(1, [1, 1]), (1, [1, 1])]),
    "large-4-top": (LARGE, _("Large: 1 wide over 3"), [(1, [1]), (1, [1, 1, 1])]),
    "large-3-top": (LARGE, _("Large: 1 wide over 2"), [(1, [1]), (1, [1, 1])]),
    "large-3": (LARGE, _("Large: 3 areas in a row"), [(1, [1, 1, 1])]),
    "large-2": (LARGE, _("Large: 2 areas, top and bottom"), [(1, [1]), (1, [1])]),
    "large-1": (LARGE, _("Large: 1 area"), [(1, [1])]),
    "compact-3": (COMPACT, _("Compact: 3 areas"), [(1, [1, 1, 1])]),
    "compact-2": (COMPACT, _("Compact: 2 areas"), [(1, [1, 1])]),
    "compact-2-wide": (COMPACT, _("Compact: 1 wide and 1 narrow"), [(1, [2, 1])]),
    "compact-1": (COMPACT, _("Compact: 1 area"), [(1, [1])]),
    # No template: the staff draw up to 20 areas themselves.
    "free-large": (LARGE, _("Large: draw the areas yourself"), []),
    "free-compact": (COMPACT, _("Compact: draw the areas yourself"), []),
}
MAX_TEMPLATE_AREAS = 6


def is_free(name: str) -> bool:
    """Whether ``name`` is a layout whose areas the staff draw."""
    return name.startswith("free-")


def _split(total: int, shares: list[int]) -> list[tuple[int, int]]:
    """(offset, length) per share; the last part takes the rounding rest."""
    whole = sum(shares)
    parts, offset = [], 0
    for i, share in enumerate(shares):
        length = total - offset if i == len(shares) - 1 else total * share // whole
        parts.append((offset, length))
        offset += length
    return parts


def layout_bounds(name: str) -> tuple[tuple[int, int], list[dict]]:
    """The size and the areas' bounds of layout ``name``, left to right,
    top to bottom."""
    (width, height), _label, rows = LAYOUTS[name]
    bounds = []
    for (y, h), (_share, columns) in zip(
        _split(height, [r[0] for r in rows]), rows, strict=True
    ):
        for x, w in _split(width, columns):
            bounds.append({"x": x, "y": y, "width": w, "height": h})
    return (width, height), bounds


def layout_choices() -> list[tuple[str, object]]:
    return [(name, label) for name, (_size, label, _rows) in LAYOUTS.items()]
