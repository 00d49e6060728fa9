"""``{% load bubbles %}``: the one bubble renderer in templates.

``{% message_bubble m %}`` draws a stored ``Message`` (its own files for a
customer's upload), ``{% bubble payload %}`` a message object (the
composer's preview), ``{% quick_reply payload %}`` its quick-reply chips.
All three call ``messaging.store.rendering`` (docs/rendering.md).
"""

from django import template

from core.media_access import signed_media_url
from messaging.store.models import Message
from messaging.store.rendering import bubble_html, quick_reply_html

register = template.Library()


def message_bubble_html(message: Message) -> str:
    """The bubble of a stored message, the same on every surface."""
    content_url = preview_url = None
    if message.content:
        # Customers' uploads carry a signature: only pages that show the
        # message can link to them (core.media_access).
        content_url = signed_media_url(message.content)
        preview_url = signed_media_url(message.preview or message.content)
    return bubble_html(
        message.payload, content_url=content_url, preview_url=preview_url
    )


# ``render_to_string`` returns a SafeString: the renderer's templates escaped
# every value of the message (autoescape), so nothing is marked safe here.
@register.simple_tag
def message_bubble(message: Message) -> str:
    return message_bubble_html(message)


@register.simple_tag
def bubble(payload) -> str:
    return bubble_html(payload)


@register.simple_tag
def quick_reply(payload) -> str:
    return quick_reply_html(payload)
