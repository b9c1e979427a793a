"""The suggestions API (``/api/v1/``): everything the suggestions pages do, as JSON.

- **Public** (no account, no session, no CSRF): the categories, submitting an opinion,
  tracking it by its code and the phone's last four digits, and rating the reply with
  the same two credentials. Submitting, tracking and rating are rate-limited per client
  address on the pages' own counters (``LIAISON_SUBMIT_RATE``, ``LIAISON_TRACK_RATE``).
- **Deputies** (``deputy/…``): the receptions they took part in or logged, and their
  formal deputy suggestions (their own and those they were invited to sign): draft,
  edit, invite co-signers, submit, confirm or decline a co-signature, rate the reply.
- **Department handlers** (``department/…``): their departments' items, one item as
  the workspace shows it, reply, and return a mis-assigned item.
- **Office staff** (``staff/…``): the opinions of their region's subtree, one opinion,
  and assigning it to a department with a time limit, as the admin's action does.

Token or session authentication (``liaison.api``'s conventions, error shape included).
The views are thin: serializers parse and shape; every rule is the pages' own — the same
services (``services``, ``receptions``, ``deputy_suggestions``) write, the same selectors
and the same scoping read, so another region's, department's or deputy's item is a 404.
Names and phones of constituents are always masked (张* · 138****8000).
"""

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from liaison import regions, scoping
from liaison import rules as liaison_rules
from liaison.api import ClientRateThrottle, Conflict, check_body_size, error_responses, request_data
from liaison.crypto import keyed_hash
from liaison.models import User
from stations.models import Reception
from stations.rules import is_linked_deputy
from suggestions import deputy_suggestions as ds
from suggestions import receptions, selectors, services
from suggestions.filters import DepartmentItemFilter, DeputySuggestionFilter, StaffSuggestionFilter
from suggestions.models import (
    Assignment,
    Case,
    CoSigner,
    Department,
    DeputySuggestion,
    Event,
    FollowUp,
    Reply,
    Suggestion,
)
from suggestions.serializers import (
    AssignInputSerializer,
    CategorySerializer,
    CosignInputSerializer,
    DepartmentCaseSerializer,
    DepartmentItemSerializer,
    DepartmentReplyInputSerializer,
    DeputyRateInputSerializer,
    DeputySuggestionDetailSerializer,
    DeputySuggestionEditSerializer,
    DeputySuggestionInputSerializer,
    DeputySuggestionSerializer,
    InviteInputSerializer,
    RateResultSerializer,
    RateSerializer,
    ReceptionDetailSerializer,
    ReceptionInputSerializer,
    ReceptionSerializer,
    ReturnInputSerializer,
    StaffSuggestionDetailSerializer,
    StaffSuggestionSerializer,
    SubmissionReceiptSerializer,
    SuggestionSubmitSerializer,
    SuggestionTrackSerializer,
    TrackQuerySerializer,
)
from suggestions.views import deputy as deputy_pages
from suggestions.views import workspace as workspace_pages

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = 64
NOT_FOUND = _("No opinion matches this code and phone.")

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=_("Up to 64 characters: a retry with the same key stores nothing new."),
)


# --- Rate limits ----------------------------------------------------------------------
# The same counters (``liaison.ratelimit``), client key and rate syntax as the form and
# the tracking page, so the API is no way around them.


class SuggestionSubmitThrottle(ClientRateThrottle):
    scope = "public-submit"  # the same counter as the web form
    rate_setting = "LIAISON_SUBMIT_RATE"


class SuggestionTrackThrottle(ClientRateThrottle):
    # The same counter as the tracking page; rating by code and phone counts on it too,
    # since it answers the same question (does this code go with this phone?).
    scope = "public-track"
    rate_setting = "LIAISON_TRACK_RATE"


# --- Who may call what --------------------------------------------------------------------
# The role decides whether an endpoint exists for the caller (403); the selector decides
# which rows are theirs (404 for anything else), as on the pages.


class IsLinkedDeputy(BasePermission):
    message = _("Only deputies can do this: this account is not linked to a deputy.")

    def has_permission(self, request, view) -> bool:
        return is_linked_deputy(request.user)


class IsDepartmentHandler(BasePermission):
    message = _("Only handlers of a department can do this.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user.is_authenticated
            and user.is_active
            and user.role == User.Role.DEPARTMENT
            and user.departments.exists()
        )


class IsOffice(BasePermission):
    message = _("Only the liaison office can do this.")

    def has_permission(self, request, view) -> bool:
        return liaison_rules.is_office(request.user)


# --- Helpers --------------------------------------------------------------------------


def _idempotency_key(request) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise ValidationError(
            {"idempotency_key": [_("The Idempotency-Key header is longer than 64 characters.")]}
        )
    return key


def _scoped_key(client_key: str, owner: str) -> str | None:
    """The stored ``submission_key`` for a client's idempotency key.

    Scoped to the API and to its owner (the submitter's phone, or the signed-in
    account), so two clients that happen to pick the same key (say "1") get their own
    rows, and a replay never hands one person's record to another. 4 + 60 characters
    fit the 64 of the column.
    """
    if not client_key:
        return None
    # Keyed (liaison.crypto): the owner is often a phone number, and a plain hash of a
    # guessable client key and a number would give the number back to a brute force.
    digest = keyed_hash(f"{client_key}\n{owner}")
    return "api:" + digest[:60]


def _submission_key(client_key: str, phone: str) -> str | None:
    return _scoped_key(client_key, services.normalise_phone(phone))


def _replayed(submission_key: str | None) -> Suggestion | None:
    # A read the service also makes; done here as well to tell a replay (200) from a
    # new opinion (201). Two truly concurrent first calls both get 201 and one row.
    if not submission_key:
        return None
    return Suggestion.objects.filter(submission_key=submission_key).first()


def _valid(serializer_class, request, **kwargs):
    """The request's JSON body (at most 64 KB), validated: 400 with the field errors."""
    check_body_size(request)
    serializer = serializer_class(data=request_data(request), **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _private(response: Response) -> Response:
    # One person's business: no shared cache may keep it.
    patch_cache_control(response, private=True, no_store=True)
    return response


class _PublicAPIView(APIView):
    """Anonymous JSON endpoints: no authentication, so no session and no CSRF check."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]


class _SignedInAPIView:
    """Token or session authentication (the project's defaults), JSON only."""

    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        return _private(response)


# --- Public endpoints -------------------------------------------------------------------


class CategoryListView(_PublicAPIView, generics.ListAPIView):
    """``GET /api/v1/categories/``: the active categories, in the office's order.

    A plain JSON list of ``{"code", "name"}``, not paginated: it is a short list of
    choices that a client shows whole. Not rate-limited; one query.
    """

    serializer_class = CategorySerializer
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return selectors.categories_active()


class SuggestionSubmitView(_PublicAPIView):
    """``POST /api/v1/suggestions/``: submit an opinion.

    Body (JSON, at most 64 KB): ``station`` (a station's public code) and/or ``deputy``
    (a deputy's public code; a deputy alone is enough), ``category`` (a category code),
    ``title``, ``content``, ``name``, ``phone`` (a mainland mobile number),
    ``consent`` (``true``: the personal information notice was accepted) and optionally
    ``do_not_contact``. Photos are not accepted here: they need the web form's upload.

    An optional ``Idempotency-Key`` header (up to 64 characters) makes retries safe: the
    first call answers 201, a repeat with the same key and phone answers 200 with the
    opinion first created, and no second opinion is stored.

    Answers 201 ``{"tracking_code", "status", "received_at", "track_url"}``; nothing
    personal is echoed back. Invalid input answers 400 with the messages per field.
    """

    throttle_classes = [SuggestionSubmitThrottle]

    @extend_schema(
        operation_id="suggestion_submit",
        request=SuggestionSubmitSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: SubmissionReceiptSerializer, 200: SubmissionReceiptSerializer},
    )
    def post(self, request):
        # An opinion is 2,000 characters; 64 KB is far more than any honest body.
        check_body_size(request)
        client_key = _idempotency_key(request)
        data = _valid(SuggestionSubmitSerializer, request)
        submission_key = _submission_key(client_key, data["phone"])

        suggestion = _replayed(submission_key)
        if suggestion is not None:
            answer = status.HTTP_200_OK
        else:
            # The service's refusals (a Django ValidationError) become the shared 400.
            suggestion = services.suggestion_submit(
                channel=Suggestion.Channel.API, submission_key=submission_key, **data
            )
            answer = status.HTTP_201_CREATED
        receipt = SubmissionReceiptSerializer(suggestion, context={"request": request})
        return Response(receipt.data, status=answer)


class SuggestionTrackView(_PublicAPIView):
    """``GET /api/v1/suggestions/track/?code=<tracking code>&phone=<last 4 digits>``.

    Answers 200 with the opinion's public view: status, category, title, station,
    dates, the public timeline, the public reply and, while a reply waits for its
    rating, the rating link. Never the name, the phone, internal notes or who handled
    it. An unknown code and a wrong phone get the same 404, so the answer reveals
    nothing about which codes exist; lookups are rate-limited per address.
    """

    throttle_classes = [SuggestionTrackThrottle]

    @extend_schema(
        operation_id="suggestion_track",
        parameters=[TrackQuerySerializer],
        responses={200: SuggestionTrackSerializer, **error_responses(404)},
    )
    def get(self, request):
        query = TrackQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        suggestion = selectors.suggestion_track(
            code=query.validated_data["code"], phone_last4=query.validated_data["phone"]
        )
        if suggestion is None:
            raise NotFound(NOT_FOUND)
        serializer = SuggestionTrackSerializer(
            suggestion,
            context={
                "request": request,
                "events": selectors.public_events(suggestion),
                "reply": selectors.public_reply(suggestion),
                "awaiting_rating": selectors.awaiting_rating(suggestion),
            },
        )
        return _private(Response(serializer.data))


class SuggestionRateView(_PublicAPIView):
    """``POST /api/v1/suggestions/rate/``: the constituent rates the reply (回访).

    Body: ``code`` and ``phone`` (the last four digits), as for tracking, ``rating``
    (``satisfied``, ``basically`` or ``unsatisfied``) and an optional ``comment`` (at
    most 500 characters, plain text). The rating page's rules, by the same service
    (``services.case_rate``): only while the reply waits for its rating, once per reply
    round; "unsatisfied" sends the item back for handling with a new time limit.

    Answers 201 ``{"tracking_code", "rating", "rating_display", "status", "reopened"}``;
    404 as tracking does for a wrong code or phone; 409 when nothing waits for a rating
    (not replied yet, already rated, merged into another item). Rate-limited on the
    tracking counter.
    """

    throttle_classes = [SuggestionTrackThrottle]

    @extend_schema(
        operation_id="suggestion_rate",
        request=RateSerializer,
        responses={201: RateResultSerializer, **error_responses(404, 409)},
    )
    def post(self, request):
        data = _valid(RateSerializer, request)
        suggestion = selectors.suggestion_track(code=data["code"], phone_last4=data["phone"])
        if suggestion is None:
            raise NotFound(NOT_FOUND)
        # The rating page's check: the link only works while the reply waits.
        if not selectors.awaiting_rating(suggestion):
            raise Conflict(_("This item is not waiting for a rating."), code="not_waiting")
        follow_up = services.case_rate(
            case=suggestion,
            rating=data["rating"],
            comment=data["comment"],
            method=FollowUp.Method.LINK,
        )
        result = {
            "tracking_code": suggestion.tracking_code,
            "rating": follow_up.rating,
            "rating_display": follow_up.get_rating_display(),
            "status": follow_up.case.status,
            "reopened": follow_up.case.status == Case.Status.REOPENED,
        }
        return _private(Response(RateResultSerializer(result).data, status=201))


# --- Deputies: the reception ledger ---------------------------------------------------------


def _deputy(request):
    return request.user.deputy


@extend_schema_view(
    get=extend_schema(operation_id="deputy_reception_list"),
    post=extend_schema(
        operation_id="deputy_reception_create",
        request=ReceptionInputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: ReceptionDetailSerializer, 200: ReceptionDetailSerializer},
    ),
)
class ReceptionListView(_SignedInAPIView, generics.ListAPIView):
    """``/api/v1/deputy/receptions/``: the receptions the deputy took part in or logged.

    ``GET`` lists them, newest first (a fixed number of queries per page). ``POST`` logs
    a reception as the phone page does (``receptions.reception_log``): ``station`` and
    ``deputies`` by their public codes, ``date``, ``visitors``, ``summary`` and
    ``matters``, each ``{"content", "category", "handling", "answer", "name",
    "phone"}``; a matter "passed_on" becomes a constituent opinion through the intake
    and its routing, one "answered_on_spot" stays on the ledger. Errors about a matter
    are keyed ``matters-<index>-<field>``, as the service names them. An
    ``Idempotency-Key`` makes a retried post answer 200 with the reception first logged.
    """

    permission_classes = [IsLinkedDeputy]
    serializer_class = ReceptionSerializer
    filter_backends: list = []

    def get_queryset(self):
        return receptions.reception_rows(user=self.request.user)

    def post(self, request):
        check_body_size(request)
        client_key = _idempotency_key(request)
        submission_key = _scoped_key(client_key, f"user:{request.user.pk}")
        if submission_key:
            existing = receptions.receptions_for_deputy(user=request.user).filter(
                submission_key=submission_key
            )
            if existing.exists():
                return self._detail(existing.get().pk, status.HTTP_200_OK)
        data = _valid(ReceptionInputSerializer, request)
        reception = receptions.reception_log(
            station=data["station"],
            date=data["date"],
            deputies=data["deputies"],
            visitors=data["visitors"],
            summary=data["summary"],
            matters=data["matters"],
            recorded_by=request.user,
            source=Reception.Source.DEPUTY_PHONE,
            submission_key=submission_key,
        )
        return self._detail(reception.pk, status.HTTP_201_CREATED)

    def _detail(self, pk: int, answer: int) -> Response:
        reception = receptions.reception_for_deputy(user=self.request.user, pk=pk)
        return Response(ReceptionDetailSerializer(reception).data, status=answer)


@extend_schema_view(get=extend_schema(operation_id="deputy_reception_detail"))
class ReceptionDetailView(_SignedInAPIView, generics.RetrieveAPIView):
    """``GET /api/v1/deputy/receptions/<id>/``: one reception with its matters, the
    visitors' names and phones masked, and the tracking codes of the opinions the
    passed-on matters became (to tell the visitors). Another deputy's is a 404."""

    permission_classes = [IsLinkedDeputy]
    serializer_class = ReceptionDetailSerializer
    filter_backends: list = []

    def get_object(self):
        reception = receptions.reception_for_deputy(user=self.request.user, pk=self.kwargs["pk"])
        if reception is None:
            raise NotFound(_("There is no reception of yours with this number."))
        return reception


# --- Deputies: formal deputy suggestions ----------------------------------------------------


def _deputy_suggestion_detail(request, suggestion: DeputySuggestion) -> dict:
    """A suggestion as the deputy's page shows it, with the actions open to them now."""
    deputy = _deputy(request)
    suggestion = (
        deputy_pages._with_my_standing(ds.deputy_suggestions_for(user=request.user), deputy)
        .filter(pk=suggestion.pk)
        .get()
    )
    cosigners = list(
        CoSigner.objects.filter(suggestion=suggestion)
        .select_related("deputy")
        .order_by("invited_at", "id")
    )
    standing = deputy_pages._standing(suggestion, deputy, cosigners)
    confirmed = [c.deputy for c in cosigners if c.status == CoSigner.Status.CONFIRMED]
    context = {
        "deputy": deputy,
        "cosigners": cosigners,
        "signers": [suggestion.author, *confirmed],
        **selectors.deputy_suggestion_handling(suggestion, deputy, is_signer=standing.is_signer),
        # The page's own test of which forms it offers now.
        "actions": list(deputy_pages._available(suggestion, standing, request)),
    }
    return DeputySuggestionDetailSerializer(suggestion, context=context).data


@extend_schema_view(
    get=extend_schema(operation_id="deputy_suggestion_list"),
    post=extend_schema(
        operation_id="deputy_suggestion_create",
        request=DeputySuggestionInputSerializer,
        responses={201: DeputySuggestionDetailSerializer},
    ),
)
class DeputySuggestionListView(_SignedInAPIView, generics.ListAPIView):
    """``/api/v1/deputy/suggestions/``: the deputy's own suggestions and those they were
    invited to sign, newest first; ``?status=``, ``?waiting=true`` (waiting for them: a
    draft of theirs, an invitation to answer, a reply to rate).

    ``POST`` starts a draft (``deputy_suggestions.deputy_suggestion_draft``):
    ``congress`` (the id of a congress the deputy sits in), ``title``, ``content``,
    optionally ``category`` (a code), ``timing`` (``session``/``interim``) and
    ``source_cases`` (ids of opinions addressed to them that they marked for promotion).
    """

    permission_classes = [IsLinkedDeputy]
    serializer_class = DeputySuggestionSerializer
    filterset_class = DeputySuggestionFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular, no request user
            return DeputySuggestion.objects.none()
        return deputy_pages._with_my_standing(
            ds.deputy_suggestions_for(user=self.request.user), _deputy(self.request)
        )

    def get_serializer_context(self):
        return super().get_serializer_context() | {"deputy": _deputy(self.request)}

    def post(self, request):
        data = _valid(DeputySuggestionInputSerializer, request)
        suggestion = ds.deputy_suggestion_draft(
            user=request.user,
            congress=data["congress"],
            title=data["title"],
            content=data["content"],
            category=data["category"],
            timing=data["timing"],
            source_cases=data["source_cases"],
        )
        return Response(_deputy_suggestion_detail(request, suggestion), status=201)


def _own_deputy_suggestion(request, pk: int) -> DeputySuggestion:
    suggestion = ds.deputy_suggestion_for(user=request.user, pk=pk)
    if suggestion is None:
        raise NotFound(_("There is no suggestion of yours with this number."))
    return suggestion


@extend_schema_view(
    get=extend_schema(
        operation_id="deputy_suggestion_detail",
        responses={200: DeputySuggestionDetailSerializer},
    ),
    put=extend_schema(
        operation_id="deputy_suggestion_edit",
        request=DeputySuggestionEditSerializer,
        responses={200: DeputySuggestionDetailSerializer},
    ),
)
class DeputySuggestionDetailView(_SignedInAPIView, APIView):
    """``/api/v1/deputy/suggestions/<id>/``: one suggestion the deputy leads or was
    invited to sign — its text, signers, handling, the replies addressed to them, their
    ratings, the public timeline and ``actions``: what they may do now (``edit``,
    ``invite``, ``submit``, ``respond``, ``rate``). Anyone else's is a 404.

    ``PUT`` changes the draft (lead deputy only): ``title``, ``content``, ``category``.
    """

    permission_classes = [IsLinkedDeputy]

    def get(self, request, pk: int):
        return Response(_deputy_suggestion_detail(request, _own_deputy_suggestion(request, pk)))

    def put(self, request, pk: int):
        suggestion = _own_deputy_suggestion(request, pk)
        data = _valid(DeputySuggestionEditSerializer, request)
        ds.deputy_suggestion_edit(
            suggestion=suggestion,
            user=request.user,
            title=data["title"],
            content=data["content"],
            category=data["category"],
        )
        return Response(_deputy_suggestion_detail(request, suggestion))


class _DeputySuggestionAction(_SignedInAPIView, APIView):
    """A step on one suggestion: the service decides whether the deputy may take it."""

    permission_classes = [IsLinkedDeputy]
    input_serializer = None

    def post(self, request, pk: int):
        suggestion = _own_deputy_suggestion(request, pk)
        data = _valid(self.input_serializer, request) if self.input_serializer else {}
        self.act(request, suggestion, data)
        return Response(_deputy_suggestion_detail(request, suggestion))

    def act(self, request, suggestion: DeputySuggestion, data: dict) -> None:
        raise NotImplementedError


def _action_schema(operation_id: str, request_serializer=None):
    # The service may refuse any step (400): not the lead deputy, not a draft any more…
    return extend_schema(
        operation_id=operation_id,
        request=request_serializer,
        responses={200: DeputySuggestionDetailSerializer, **error_responses(400)},
    )


@extend_schema_view(post=_action_schema("deputy_suggestion_submit"))
class DeputySuggestionSubmitView(_DeputySuggestionAction):
    """``POST …/<id>/submit/``: the lead deputy submits the draft to the office."""

    def act(self, request, suggestion, data):
        ds.deputy_suggestion_submit(suggestion=suggestion, user=request.user)


@extend_schema_view(post=_action_schema("deputy_suggestion_invite", InviteInputSerializer))
class DeputySuggestionInviteView(_DeputySuggestionAction):
    """``POST …/<id>/invite/`` ``{"deputies": [codes]}``: the lead deputy invites
    deputies of the same congress to co-sign (联名) while it is a draft."""

    input_serializer = InviteInputSerializer

    def act(self, request, suggestion, data):
        ds.deputy_suggestion_invite(
            suggestion=suggestion, user=request.user, deputies=data["deputies"]
        )


@extend_schema_view(post=_action_schema("deputy_suggestion_cosign", CosignInputSerializer))
class DeputySuggestionCosignView(_DeputySuggestionAction):
    """``POST …/<id>/cosign/`` ``{"answer": "confirm" | "decline"}``: an invited deputy
    answers, until the office accepts the suggestion."""

    input_serializer = CosignInputSerializer

    def act(self, request, suggestion, data):
        ds.cosigner_respond(
            suggestion=suggestion, user=request.user, confirm=data["answer"] == "confirm"
        )


@extend_schema_view(post=_action_schema("deputy_suggestion_rate", DeputyRateInputSerializer))
class DeputySuggestionRateView(_DeputySuggestionAction):
    """``POST …/<id>/rate/`` ``{"rating", "comment"}``: a signing deputy rates the reply
    addressed to them, once per round; "unsatisfied" starts re-handling."""

    input_serializer = DeputyRateInputSerializer

    def act(self, request, suggestion, data):
        services.case_rate(
            case=suggestion,
            rating=data["rating"],
            comment=data["comment"],
            method=FollowUp.Method.LINK,
            recorded_by=request.user,
            rater=_deputy(request),
        )


# --- Department handlers ----------------------------------------------------------------


def _departments(user) -> list[Department]:
    return list(user.departments.order_by("name"))


@extend_schema_view(
    get=extend_schema(
        operation_id="department_item_list",
        parameters=[
            OpenApiParameter(
                "sort",
                str,
                enum=["due", "-due"],
                description=_("Nearest due date first (default) or last."),
            )
        ],
    )
)
class DepartmentItemListView(_SignedInAPIView, generics.ListAPIView):
    """``GET /api/v1/department/items/``: the active assignments of the handler's
    departments, nearest due date first (``?sort=-due`` for the latest first), as the
    work list shows them. Filters: ``status`` (assigned, reopened), ``overdue``,
    ``due_after``, ``due_before``, ``kind``. Items are named by number, never by the
    tracking code (the constituent's credential)."""

    permission_classes = [IsDepartmentHandler]
    serializer_class = DepartmentItemSerializer
    filterset_class = DepartmentItemFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular, no request user
            return Assignment.objects.none()
        sort = "-due" if self.request.query_params.get("sort") == "-due" else "due"
        return selectors.department_assignments(user=self.request.user, sort=sort).select_related(
            "case__suggestion", "case__deputysuggestion"
        )

    def get_serializer_context(self):
        return super().get_serializer_context() | {"today": timezone.localdate()}


def _department_case(request, case_id: int) -> tuple[Case, list[Department]]:
    case = selectors.department_case(user=request.user, case_id=case_id)
    if case is None:
        raise NotFound(_("There is no item of your department with this number."))
    return case, _departments(request.user)


def _department_case_detail(request, case: Case, departments: list[Department]) -> dict:
    """One item as the department workspace shows it (``department_item``)."""
    held = workspace_pages._held_assignment(case, departments)
    deputy_suggestion, signers = None, []
    if case.kind == Case.Kind.DEPUTY:
        deputy_suggestion = (
            DeputySuggestion.objects.select_related("author", "congress").filter(pk=case.pk).first()
        )
        signers = services.deputy_suggestion_signers(case)
    suggestion = (
        Suggestion.objects.select_related("station", "deputy").filter(pk=case.pk).first()
        if case.kind == Case.Kind.CONSTITUENT
        else None
    )
    replies = list(case.replies.all())
    if deputy_suggestion is not None:
        replies = list(Reply.objects.filter(case=case).select_related("department", "addressee"))
    context = {
        "today": timezone.localdate(),
        "held": held,
        "actions": _department_actions(case, held),
        "suggestion": suggestion,
        "deputy_suggestion": deputy_suggestion,
        "signers": signers,
        "replies": replies,
    }
    return DepartmentCaseSerializer(case, context=context).data


def _department_actions(case: Case, held: Assignment | None) -> list[str]:
    # The forms ``department_item`` offers, by the same conditions (the answer on the
    # spot is the page's alone: handlers give it in person, then write it down there).
    if held is None or case.status not in Case.HANDLING_STATUSES:
        return []
    return ["reply", "return"]


@extend_schema_view(
    get=extend_schema(
        operation_id="department_item_detail", responses={200: DepartmentCaseSerializer}
    )
)
class DepartmentItemDetailView(_SignedInAPIView, APIView):
    """``GET /api/v1/department/items/<id>/``: an item the handler's departments hold or
    held — its text, the constituent masked, the departments, replies with internal
    notes, the full timeline, and ``actions`` (``reply``, ``return``) while it is theirs.
    Any other item is a 404."""

    permission_classes = [IsDepartmentHandler]

    def get(self, request, case_id: int):
        case, departments = _department_case(request, case_id)
        return Response(_department_case_detail(request, case, departments))


class _DepartmentAction(_SignedInAPIView, APIView):
    permission_classes = [IsDepartmentHandler]
    input_serializer = None

    def post(self, request, case_id: int):
        case, departments = _department_case(request, case_id)
        data = _valid(self.input_serializer, request)
        held = workspace_pages._held_assignment(case, departments)
        if held is None or case.status not in Case.HANDLING_STATUSES:
            raise Conflict(
                _("This item is no longer waiting for your department."), code="not_waiting"
            )
        self.act(request, case, held, data)
        case = selectors.department_case(user=request.user, case_id=case_id)
        if case is None:
            # Returned: a department whose share was returned no longer reads the item.
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(_department_case_detail(request, case, departments))

    def act(self, request, case: Case, held: Assignment, data: dict) -> None:
        raise NotImplementedError


@extend_schema_view(
    post=extend_schema(
        operation_id="department_item_reply",
        request=DepartmentReplyInputSerializer,
        responses={200: DepartmentCaseSerializer, **error_responses(409)},
    )
)
class DepartmentReplyView(_DepartmentAction):
    """``POST /api/v1/department/items/<id>/reply/``: the department replies
    (``services.case_reply``). ``{"text", "internal_note"}``; the lead's reply to a
    deputy suggestion is ``{"result_class", "replies": {"<signer id>": text},
    "internal_note"}``. A co-handler's text is an opinion for the lead and the office.
    Two replies at once make one: the second answers 409 or 400."""

    input_serializer = DepartmentReplyInputSerializer

    def act(self, request, case, held, data):
        deputy_reply = case.kind == Case.Kind.DEPUTY and held.role == Assignment.Role.LEAD
        services.case_reply(
            case=case,
            department=held.department,
            author=request.user,
            public_text=data["text"],
            internal_note=data["internal_note"],
            result_class=data["result_class"] if deputy_reply else None,
            per_deputy=data["replies"] if deputy_reply else None,
        )


@extend_schema_view(
    post=extend_schema(
        operation_id="department_item_return",
        request=ReturnInputSerializer,
        responses={204: None, **error_responses(409)},
    )
)
class DepartmentReturnView(_DepartmentAction):
    """``POST /api/v1/department/items/<id>/return/`` ``{"reason"}``: the department says
    the item is not theirs; it goes back to the office (``services.case_return``).
    Answers 204: the item is no longer the department's to read."""

    input_serializer = ReturnInputSerializer

    def act(self, request, case, held, data):
        services.case_return(
            case=case, department=held.department, user=request.user, reason=data["reason"]
        )


# --- Office staff ---------------------------------------------------------------------------


def _staff_suggestions(user):
    """The opinions of the user's jurisdiction (``liaison.scoping``), newest first."""
    return scoping.scope(Suggestion.objects.select_related("category", "region"), user).order_by(
        "-received_at", "-id"
    )


@extend_schema_view(get=extend_schema(operation_id="staff_suggestion_list"))
class StaffSuggestionListView(_SignedInAPIView, generics.ListAPIView):
    """``GET /api/v1/staff/suggestions/``: the opinions of the office's region subtree,
    newest first, as the admin's list: ``status`` (repeatable), ``category`` (code),
    ``channel``, ``region`` (a division code: its subtree), ``received_after`` and
    ``received_before`` (dates), ``overdue``, and ``code`` (a tracking code)."""

    permission_classes = [IsOffice]
    serializer_class = StaffSuggestionSerializer
    filterset_class = StaffSuggestionFilter

    def get_queryset(self):
        return _staff_suggestions(self.request.user)

    def get_serializer_context(self):
        return super().get_serializer_context() | {"today": timezone.localdate()}


def _staff_suggestion(request, pk: int) -> Suggestion:
    suggestion = (
        _staff_suggestions(request.user)
        .select_related("station", "deputy")
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("department").order_by(
                    "assigned_at", "id"
                ),
            ),
            Prefetch("replies", queryset=Reply.objects.select_related("department", "addressee")),
            "follow_ups",
            Prefetch("events", queryset=Event.objects.select_related("actor")),
        )
        .filter(pk=pk)
        .first()
    )
    if suggestion is None:
        # Another region's opinion looks exactly like one that does not exist.
        raise NotFound(_("There is no opinion in your region with this number."))
    return suggestion


@extend_schema_view(
    get=extend_schema(
        operation_id="staff_suggestion_detail", responses={200: StaffSuggestionDetailSerializer}
    )
)
class StaffSuggestionDetailView(_SignedInAPIView, APIView):
    """``GET /api/v1/staff/suggestions/<id>/``: one opinion of the office's region, with
    its departments, replies, ratings and full timeline; the constituent masked (the
    admin reveals a number, and logs it). Another region's is a 404."""

    permission_classes = [IsOffice]

    def get(self, request, pk: int):
        suggestion = _staff_suggestion(request, pk)
        context = {"today": timezone.localdate()}
        return Response(StaffSuggestionDetailSerializer(suggestion, context=context).data)


@extend_schema_view(
    post=extend_schema(
        operation_id="staff_suggestion_assign",
        request=AssignInputSerializer,
        responses={200: StaffSuggestionDetailSerializer},
    )
)
class StaffAssignView(_SignedInAPIView, APIView):
    """``POST /api/v1/staff/suggestions/<id>/assign/``: assign or re-assign, as the
    admin's action does (``services.case_assign``): ``lead`` and ``co_handlers``
    (department ids: active, in the office's jurisdiction, serving the item's region),
    ``time_limit_days`` (1–250 working days; empty: the routing rule's, else the
    default) and an internal ``reason``. Re-assigning withdraws the departments holding
    it and starts a new time limit."""

    permission_classes = [IsOffice]

    def post(self, request, pk: int):
        suggestion = _staff_suggestion(request, pk)
        data = _valid(AssignInputSerializer, request)
        serving = {
            department.pk: department
            for department in scoping.scope(
                Department.objects.filter(
                    is_active=True,
                    # The item's region or one above it: never sideways.
                    region_id__in=regions.ancestors_of(suggestion.region_id),
                    pk__in=[data["lead"], *data["co_handlers"]],
                ),
                request.user,
            )
        }
        errors = {}
        if data["lead"] not in serving:
            errors["lead"] = [_("Choose a department of yours that serves the item's region.")]
        if any(pk not in serving for pk in data["co_handlers"]):
            errors["co_handlers"] = [_("Choose departments of yours that serve the item's region.")]
        if errors:
            raise ValidationError(errors)
        days = data["time_limit_days"]
        if days is None:
            # The admin action's default: the item's routing rule, else the setting.
            rule = services.routing_rule_for(
                region_code=suggestion.region_id, category=suggestion.category
            )
            days = rule.time_limit_days if rule else settings.LIAISON_DEFAULT_TIME_LIMIT
        services.case_assign(
            case=suggestion,
            lead=serving[data["lead"]],
            co_handlers=[serving[pk] for pk in data["co_handlers"]],
            time_limit_days=days,
            actor=request.user,
            reason=data["reason"],
        )
        suggestion = _staff_suggestion(request, pk)
        context = {"today": timezone.localdate()}
        return Response(StaffSuggestionDetailSerializer(suggestion, context=context).data)
