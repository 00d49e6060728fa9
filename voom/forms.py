"""The Manager's post form (validation of shapes; limits are the service's)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from voom.models import COMMENT_MAX, LINK_TITLE_MAX, TEXT_MAX


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class PostForm(forms.Form):
    # The service counts characters (10,000); a longer text is its error.
    text = forms.CharField(
        label=_("Text"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "data-testid": "post-text"}),
        help_text=_("At most %(n)s characters.") % {"n": f"{TEXT_MAX:,}"},
    )
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        help_text=_("Up to 20 JPEG or PNG photos."),
    )
    video = forms.FileField(
        label=_("Video"),
        required=False,
        help_text=_("One MP4 video of at most 200 MB, instead of photos."),
    )
    video_poster = forms.FileField(
        label=_("Video poster image"),
        required=False,
        help_text=_("The picture shown before the video plays."),
    )
    link_url = forms.URLField(
        label=_("Link URL"),
        required=False,
        max_length=1000,
        assume_scheme="https",
        help_text=_("A coupon, shop card, survey or web page, shown as a card."),
    )
    link_title = forms.CharField(
        label=_("Link title"), required=False, max_length=LINK_TITLE_MAX
    )
    allow_comments = forms.BooleanField(
        label=_("Allow comments"), required=False, initial=True
    )
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty to publish now."),
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["video"]
            del self.fields["video_poster"]


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Reply"), max_length=COMMENT_MAX)
