"""Names of message types for people, rendered in the viewer's language.

The message store keeps a searchable ``text`` for every message; for a
sticker, photo, video or voice message that text is a placeholder such as
``[Sticker]`` (an API-stable value bots and exports may rely on). Wherever a
person reads a one-line summary (inbox rows, the talk app's room list) the
placeholder is replaced by these labels at display time (issue 14, #11).
"""

from django.utils.translation import gettext_lazy as _

MESSAGE_TYPE_LABELS = {
    "sticker": _("Sticker"),
    "image": _("Photo"),
    "video": _("Video"),
    "audio": _("Voice message"),
}


def message_summary(kind: str | None, text: str | None) -> str:
    """One line for a message: its text, or its type's label for media.

    ``kind`` is the LINE message type (``"text"``, ``"sticker"`` …); ``text``
    the stored searchable text. Location, Flex, template and imagemap
    messages keep their own title or alt text, which their sender wrote.
    """
    label = MESSAGE_TYPE_LABELS.get(kind or "")
    if label is not None:
        return str(label)
    return text or ""
