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
