import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from config.startup import secret_key_require  # noqa: E402

# A WSGI server imports this module once before serving.
secret_key_require()
