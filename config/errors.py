"""Error pages in the look of the app they happen in (``handler404``).

The talk app is the customer's phone; a page missing there is drawn as a
talk-app screen, not as a Manager page with the staff's navigation.
"""

from django.conf import settings
from django.views import defaults


def page_not_found(request, exception):
    """Django's 404 answer, with the talk app's template under ``/talk/``."""
    template = defaults.ERROR_404_TEMPLATE_NAME
    if settings.TALK_APP_ENABLED and request.path.startswith("/talk/"):
        template = "talk/404.html"
    return defaults.page_not_found(request, exception, template_name=template)
