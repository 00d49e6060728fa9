"""JP prefecture codes as LINE's demographic filter names them (jp_01–jp_47)."""

from django.utils.translation import gettext_lazy as _

PREFECTURES = [
    ("jp_01", _("Hokkaido")), ("jp_02", _("Aomori")), ("jp_03", _("Iwate")),
    ("jp_04", _("Miyagi")), ("jp_05", _("Akita")), ("jp_06", _("Yamagata")),
    ("jp_07", _("Fukushima")), ("jp_08", _("Ibaraki")), ("jp_09", _("Tochigi")),
    ("jp_10", _("Gunma")), ("jp_11", _("Saitama")), ("jp_12", _("Chiba")),
    ("jp_13", _("Tokyo")), ("jp_14", _("Kanagawa")), ("jp_15", _("Niigata")),
    ("jp_16", _("Toyama")), ("jp_17", _("Ishikawa")), ("jp_18", _("Fukui")),
    ("jp_19", _("Yamanashi")), ("jp_20", _("Nagano")), ("jp_21", _("Gifu")),
    ("jp_22", _("Shizuoka")), ("jp_23", _("Aichi")), ("jp_24", _("Mie")),
    ("jp_25", _("Shiga")), ("jp_26", _("Kyoto")), ("jp_27", _("Osaka")),
    ("jp_28", _("Hyogo")), ("jp_29", _("Nara")), ("jp_30", _("Wakayama")),
    ("jp_31", _("Tottori")), ("jp_32", _("Shimane")), ("jp_33", _("Okayama")),
    ("jp_34", _("Hiroshima")), ("jp_35", _("Yamaguchi")), ("jp_36", _("Tokushima")),
    ("jp_37", _("Kagawa")), ("jp_38", _("Ehime")), ("jp_39", _("Kochi")),
    ("jp_40", _("Fukuoka")), ("jp_41", _("Saga")), ("jp_42", _("Nagasaki")),
    ("jp_43", _("Kumamoto")), ("jp_44", _("Oita")), ("jp_45", _("Miyazaki")),
    ("jp_46", _("Kagoshima")), ("jp_47", _("Okinawa")),
]  # fmt: skip

# LINE's Manager groups prefectures into these regions in its pickers
# (issue 14, #12); the friends filter and the audience builder both use them.
_BY_CODE = dict(PREFECTURES)
REGION_GROUPS = [
    (_("Hokkaido & Tohoku"), [f"jp_{n:02d}" for n in range(1, 8)]),
    (_("Kanto"), [f"jp_{n:02d}" for n in range(8, 15)]),
    (_("Chubu"), [f"jp_{n:02d}" for n in range(15, 24)]),
    (_("Kinki"), [f"jp_{n:02d}" for n in range(24, 31)]),
    (_("Chugoku"), [f"jp_{n:02d}" for n in range(31, 36)]),
    (_("Shikoku"), [f"jp_{n:02d}" for n in range(36, 40)]),
    (_("Kyushu & Okinawa"), [f"jp_{n:02d}" for n in range(40, 48)]),
]


def region_choices_grouped() -> list[tuple]:
    """Django's grouped choices: ``[(group label, [(code, name), …]), …]``."""
    return [
        (label, [(code, _BY_CODE[code]) for code in codes])
        for label, codes in REGION_GROUPS
    ]
