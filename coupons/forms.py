"""The Manager's coupon form: turned into LINE's ``CouponCreateRequest`` so
the Manager and the API share one set of rules (``coupons.services``)."""

import re
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coupons.models import (
    CODE_MAX,
    DESCRIPTION_MAX,
    MAX_ACQUIRE_COUNT,
    TITLE_MAX,
    USAGE_CONDITION_MAX,
    Coupon,
)
from coupons.zones import ZONES

# Errors of the API's properties shown next to the form's fields.
PROPERTY_FIELDS = {
    "title": "title",
    "description": "description",
    "usageCondition": "usage_condition",
    "couponCode": "coupon_code",
    "timezone": "time_zone",
    "startTimestamp": "start",
    "endTimestamp": "end",
    "acquisitionCondition.lotteryProbability": "lottery_probability",
    "acquisitionCondition.maxAcquireCount": "max_acquire_count",
    "reward.priceInfo.fixedAmount": "fixed_amount",
    "reward.priceInfo.percentage": "percentage",
    "reward.priceInfo.originalPrice": "original_price",
    "reward.priceInfo.priceAfterDiscount": "price_after_discount",
    "reward.priceInfo.type": "price_type",
    "reward.priceInfo": "price_type",
}

# The API's wording (LINE's) as staff read it in the Manager, translated.
MANAGER_MESSAGES = {
    "must be specified": _("Fill in this field."),
    "must not be blank": _("Fill in this field."),
    "must be after startTimestamp": _("The end must be after the start."),
    "must be less than originalPrice": _("Must be less than the original price."),
    "must be an integer": _("Enter a whole number."),
    "must be between 1 and 99": _("Enter a number from 1 to 99."),
    "must be between 1 and 10000000": _("Enter a number from 1 to 10,000,000."),
    "must be -1 or between 1 and 999999": _(
        "Enter a number from 1 to 999,999, or leave it empty for no limit."
    ),
    "is out of range": _("This value is out of range."),
    "is not allowed for this reward type": _("This is not used with this reward."),
    "must be an https URL": _("Enter an https:// link."),
    "contains characters that cannot be stored": _(
        "Remove the characters that cannot be stored."
    ),
    "must be one of fixed, percentage, explicit": _("Choose a discount kind."),
}


def manager_message(message: str) -> str:
    """The Manager's words for one of ``coupon_clean``'s API messages; an
    unknown message is shown as it is."""
    size = re.fullmatch(r"size must be between 0 and (\d+)", message)
    if size:
        return _("Use at most %(n)s characters.") % {"n": size[1]}
    return str(MANAGER_MESSAGES.get(message, message))


DATETIME = forms.DateTimeInput(
    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
)


class CouponForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    usage_condition = forms.CharField(
        label=_("Usage conditions"), max_length=USAGE_CONDITION_MAX, required=False
    )
    image = forms.FileField(label=_("Image (JPEG/PNG, up to 3 MB)"), required=False)
    start = forms.DateTimeField(label=_("Valid from"), widget=DATETIME)
    end = forms.DateTimeField(label=_("Valid until"), widget=DATETIME)
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=[(k, v) for k, v in ZONES.items()]
    )
    reward_type = forms.ChoiceField(label=_("Reward"), choices=Coupon.Reward.choices)
    price_type = forms.ChoiceField(
        label=_("Discount kind"),
        choices=Coupon.Price.choices,
        required=False,
        initial=Coupon.Price.FIXED,  # the usual discount; "None" fails it
    )
    fixed_amount = forms.IntegerField(label=_("Amount (yen)"), required=False)
    percentage = forms.IntegerField(label=_("Percentage"), required=False)
    original_price = forms.IntegerField(label=_("Original price"), required=False)
    price_after_discount = forms.IntegerField(
        label=_("Price after discount"), required=False
    )
    visibility = forms.ChoiceField(
        label=_("Visibility"), choices=Coupon.Visibility.choices
    )
    unlimited_use = forms.BooleanField(
        label=_("Can be used any number of times"), required=False
    )
    lottery = forms.BooleanField(label=_("Lottery"), required=False)
    lottery_probability = forms.IntegerField(
        label=_("Chance to win (%)"), required=False
    )
    max_acquire_count = forms.IntegerField(
        label=_("Maximum winners (blank: no limit)"),
        required=False,
        min_value=1,
        max_value=MAX_ACQUIRE_COUNT,
    )
    coupon_code = forms.CharField(
        label=_("Coupon code"), max_length=CODE_MAX, required=False
    )
    barcode = forms.FileField(
        label=_("Barcode image (JPEG/PNG, up to 3 MB)"), required=False
    )

    def request_body(self, *, image_url: str = "", barcode_url: str = "") -> dict:
        """LINE's ``CouponCreateRequest`` of the cleaned form."""
        d = self.cleaned_data
        zone = ZONES.get(d["time_zone"], "Asia/Tokyo")

        def ts(value):
            # The typed wall time is in the coupon's own time zone.
            if timezone.is_aware(value):
                value = timezone.make_naive(value)
            return int(value.replace(tzinfo=ZoneInfo(zone)).timestamp())

        if d.get("lottery"):
            condition = {
                "type": "lottery",
                "lotteryProbability": d.get("lottery_probability"),
                "maxAcquireCount": d.get("max_acquire_count") or -1,
            }
        else:
            condition = {"type": "normal"}
        reward: dict = {"type": d["reward_type"]}
        price = d.get("price_type") or ""
        if d["reward_type"] in ("discount", "cashBack"):
            info: dict = {"type": price}
            if price == "fixed":
                info["fixedAmount"] = d.get("fixed_amount")
            elif price == "percentage":
                info["percentage"] = d.get("percentage")
            elif price == "explicit":
                info["originalPrice"] = d.get("original_price")
                info["priceAfterDiscount"] = d.get("price_after_discount")
            reward["priceInfo"] = info
        body = {
            "title": d["title"],
            "description": d.get("description") or None,
            "usageCondition": d.get("usage_condition") or None,
            "couponCode": d.get("coupon_code") or None,
            "imageUrl": image_url or None,
            "barcodeImageUrl": barcode_url or None,
            "startTimestamp": ts(d["start"]),
            "endTimestamp": ts(d["end"]),
            "timezone": d["time_zone"],
            "visibility": d["visibility"],
            "maxUseCountPerTicket": -1 if d.get("unlimited_use") else 1,
            "acquisitionCondition": condition,
            "reward": reward,
        }
        return {k: v for k, v in body.items() if v is not None}
