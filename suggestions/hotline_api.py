"""``POST /api/v1/hotline/orders/``: the 12345 hotline files a work order.

Authenticated by the integration's key and an HMAC signature over the raw body (see
``suggestions.hotline`` and docs/hotline.md), not by a user: no session, no CSRF.
"""

import json

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from liaison.api import Conflict, check_body_size, error_responses
from suggestions import hotline
from suggestions.models import CONTENT_MAX


class SignatureInvalid(APIException):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = _("The request is not signed by a known integration.")
    default_code = "bad_signature"


class CallerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


class LocationSerializer(serializers.Serializer):
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    lat = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False,
        allow_null=True, default=None, coerce_to_string=False,
    )  # fmt: skip
    lon = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False,
        allow_null=True, default=None, coerce_to_string=False,
    )  # fmt: skip

    def validate(self, attrs):
        if (attrs.get("lat") is None) != (attrs.get("lon") is None):
            raise serializers.ValidationError(_("Give both lat and lon, or neither."))
        return attrs


class WorkOrderSerializer(serializers.Serializer):
    """A work order as the hotline sends it."""

    external_id = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9._:-]*$",
        max_length=64,
        help_text=_("The hotline's own work-order number; posting it again is safe."),
        error_messages={"invalid": _("Use letters, digits and . _ : - only.")},
    )
    caller = CallerSerializer(required=False)
    title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    content = serializers.CharField(max_length=CONTENT_MAX)
    category = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Our category code or name; anything else files it uncategorised."),
    )
    location = LocationSerializer(required=False)
    station = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    deputy = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    deadline = serializers.DateField(required=False, allow_null=True, default=None)


class WorkOrderAnswer(serializers.Serializer):
    external_id = serializers.CharField()
    tracking_code = serializers.CharField()
    status = serializers.CharField()
    received_at = serializers.DateTimeField()


@extend_schema(
    tags=["hotline"],
    request=WorkOrderSerializer,
    parameters=[
        OpenApiParameter(
            hotline.KEY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True
        ),
        OpenApiParameter(
            hotline.TIMESTAMP_HEADER,
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            required=True,
            description=_("Unix seconds; at most 5 minutes from our clock."),
        ),
        OpenApiParameter(
            hotline.SIGNATURE_HEADER,
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            required=True,
            description=_("Hex HMAC-SHA256 of “<timestamp>.<raw body>” with the secret."),
        ),
    ],
    responses={
        201: OpenApiResponse(WorkOrderAnswer, description=_("Filed as a new suggestion.")),
        200: OpenApiResponse(WorkOrderAnswer, description=_("Already filed: the same order.")),
        **error_responses(400, 401, 409, 413, 415),
    },
    auth=[],
)
class WorkOrderReceiveView(APIView):
    """File a 12345 work order as a suggestion (channel "hotline") and route it.

    Signed with the integration's secret (see docs/hotline.md). The first post of an
    external id answers 201; the same order again answers 200 with the same tracking
    code; the same id with other content answers 409 and changes nothing. A request
    whose signature was seen before (a replay), with a timestamp more than five minutes
    off, a wrong signature, or an unknown or inactive key answers 401 and stores nothing.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]

    def post(self, request):
        check_body_size(request)
        body = request.body
        try:
            integration = hotline.request_authenticate(
                key=request.headers.get(hotline.KEY_HEADER, ""),
                timestamp=request.headers.get(hotline.TIMESTAMP_HEADER, ""),
                signature=request.headers.get(hotline.SIGNATURE_HEADER, ""),
                body=body,
            )
        except hotline.SignatureRefused as exc:
            raise SignatureInvalid(exc.message, code=exc.code) from None
        try:
            # The signed bytes, parsed once: what was verified is what is filed.
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ParseError(_("The request body is not valid JSON.")) from None
        if not isinstance(data, dict):
            raise ParseError(_("The request body must be a JSON object."))
        serializer = WorkOrderSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        signature = request.headers.get(hotline.SIGNATURE_HEADER, "").strip().lower()
        try:
            suggestion, created = hotline.work_order_receive(
                integration=integration, data=serializer.validated_data, signature=signature
            )
        except hotline.Replayed:
            raise SignatureInvalid(
                _("This request was received before (a replay)."), code="replayed"
            ) from None
        except hotline.OrderConflict:
            raise Conflict(
                _("A different work order with this external id was received before."),
                code="external_id_conflict",
            ) from None
        answer = WorkOrderAnswer(
            {
                "external_id": serializer.validated_data["external_id"],
                "tracking_code": suggestion.tracking_code,
                "status": suggestion.status,
                "received_at": suggestion.received_at,
            }
        )
        return Response(
            answer.data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
