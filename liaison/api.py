"""API endpoints of the core: token sign-in (``POST /api/v1/auth/token/``)."""

from rest_framework.authtoken.views import ObtainAuthToken


class TokenObtainView(ObtainAuthToken):
    """Exchange a username and password for the account's API token."""
