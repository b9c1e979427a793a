import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

application = get_wsgi_application()

# The production entry point refuses the published development key: with it anyone
# could forge session cookies and the signed rating links sent to constituents.
if not settings.DEBUG and settings.SECRET_KEY.startswith("django-insecure-"):
    raise ImproperlyConfigured("Set SECRET_KEY: the development key is not for production.")
