"""LINE's coupon time zones (``timezone`` of ``CouponCreateRequest``) and
the IANA zone each names."""

ZONES = {
    "ETC_GMT_MINUS_12": "Etc/GMT+12",
    "ETC_GMT_MINUS_11": "Etc/GMT+11",
    "PACIFIC_HONOLULU": "Pacific/Honolulu",
    "AMERICA_ANCHORAGE": "America/Anchorage",
    "AMERICA_LOS_ANGELES": "America/Los_Angeles",
    "AMERICA_PHOENIX": "America/Phoenix",
    "AMERICA_CHICAGO": "America/Chicago",
    "AMERICA_NEW_YORK": "America/New_York",
    "AMERICA_CARACAS": "America/Caracas",
    "AMERICA_SANTIAGO": "America/Santiago",
    "AMERICA_ST_JOHNS": "America/St_Johns",
    "AMERICA_SAO_PAULO": "America/Sao_Paulo",
    "ETC_GMT_MINUS_2": "Etc/GMT+2",
    "ATLANTIC_CAPE_VERDE": "Atlantic/Cape_Verde",
    "EUROPE_LONDON": "Europe/London",
    "EUROPE_PARIS": "Europe/Paris",
    "EUROPE_ISTANBUL": "Europe/Istanbul",
    "EUROPE_MOSCOW": "Europe/Moscow",
    "ASIA_TEHRAN": "Asia/Tehran",
    "ASIA_TBILISI": "Asia/Tbilisi",
    "ASIA_KABUL": "Asia/Kabul",
    "ASIA_TASHKENT": "Asia/Tashkent",
    "ASIA_COLOMBO": "Asia/Colombo",
    "ASIA_KATHMANDU": "Asia/Kathmandu",
    "ASIA_ALMATY": "Asia/Almaty",
    "ASIA_RANGOON": "Asia/Yangon",
    "ASIA_BANGKOK": "Asia/Bangkok",
    "ASIA_TAIPEI": "Asia/Taipei",
    "ASIA_TOKYO": "Asia/Tokyo",
    "AUSTRALIA_DARWIN": "Australia/Darwin",
    "AUSTRALIA_SYDNEY": "Australia/Sydney",
    "ASIA_VLADIVOSTOK": "Asia/Vladivostok",
    "ETC_GMT_PLUS_12": "Etc/GMT-12",
    "PACIFIC_TONGATAPU": "Pacific/Tongatapu",
}


def zone_code_for(iana: str) -> str:
    """LINE's zone code for an IANA time zone (``Asia/Tokyo`` →
    ``ASIA_TOKYO``); ``ASIA_TOKYO`` when LINE's list has no such zone."""
    for code, name in ZONES.items():
        if name == iana:
            return code
    return "ASIA_TOKYO"
