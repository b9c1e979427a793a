"""The schema class of the API (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``).

A module of its own because drf-spectacular's AutoSchema imports DRF's generic views,
which import the default filter backends from ``liaison.api``: defined there, the
import would go round in a circle.
"""

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from liaison.api import ERROR_DESCRIPTIONS, Error, TokenAnswer, TokenRequest, error_responses


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, with the error answers every view can give declared.

    From the view itself: 400 when it takes a body or query parameters, 401 and 403 when
    it needs a signed-in caller, 404 when its path has a parameter, 413 and 415 when it
    takes a body, 429 when it is rate-limited. A view declares others (409, or a 403 of
    a public view) with :func:`error_responses`; what a view declares wins.
    """

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.TimeField) and schema.get("format") == "time":
            # JSON Schema's "time" is RFC 3339's full-time, with an offset ("09:00:00Z");
            # DRF writes and reads a wall-clock time ("09:00:00"): RFC 3339's partial-time.
            schema["format"] = "partial-time"
        return schema

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code in self._error_codes(path, operation):
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(Error, description=ERROR_DESCRIPTIONS[code]), code
                )
        return operation

    def _error_codes(self, path: str, operation: dict) -> list[str]:
        has_body = "requestBody" in operation
        has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
        public = all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())
        codes = []
        if has_body or has_query:
            codes.append("400")
        if not public:
            codes += ["401", "403"]
        if "{" in path:
            codes.append("404")
        if has_body:
            codes += ["413", "415"]
        if self.view.get_throttles():
            codes.append("429")
        return codes


class TokenObtainViewSchema(OpenApiViewExtension):
    """The schema of ``POST /api/v1/auth/token/`` (it checks its body by hand)."""

    target_class = "liaison.api.TokenObtainView"

    def view_replacement(self):
        @extend_schema(
            tags=["auth"],
            request=TokenRequest,
            responses={200: TokenAnswer, **error_responses(400, 413, 415, 429)},
            auth=[],
        )
        class Fixed(self.target_class):
            pass

        return Fixed
