"""The ballots API (``/api/v1/ballots/``): a deputy's open ballots, casting a secret
ballot, and a cycle's published results.

Listing and casting need a deputy's account linked to a deputy record, signed in with
an API token (``Authorization: Token <key>``, from ``POST /api/v1/auth/token/``) or a
session (then with the CSRF token, as any form). Anonymous requests answer 401,
everyone else who is not a linked deputy 403. Results are public, once published.

Every error body is ``{"detail": "<message>", "code": "<code>"}`` in the visitor's
language (``liaison.api``); an invalid ballot (code ``invalid_ballot``) adds
``"errors": {"non_field_errors": [...]}``, one message per problem. The views are thin:
the serializers check shapes, ``votes.services`` decides and writes, ``votes.selectors`` reads.

Secrecy: the receipt code goes into the 201 answer and nowhere else — not into a log,
the session, a message or a cache (the answer says ``Cache-Control: no-store``).
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from liaison import regions
from liaison.api import Conflict, check_body_size, error_responses, request_data
from stations.rules import is_linked_deputy
from votes import selectors, services
from votes.models import BallotCycle, Phase, Project, Round
from votes.models.cycles import PHASE_ORDER
from votes.serializers import (
    BallotCastDoc,
    BallotCastSerializer,
    CycleResultsSerializer,
    CycleSerializer,
    OpenBallotSerializer,
    ProjectDetailSerializer,
    ProjectListSerializer,
    ReceiptSerializer,
)

# --- Permissions and errors -----------------------------------------------------------


class IsLinkedDeputy(BasePermission):
    """A signed-in deputy whose account is linked to a deputy record."""

    message = _("Only deputies can vote: this account is not linked to a deputy.")

    def has_permission(self, request, view) -> bool:
        return is_linked_deputy(request.user)


class InvalidBallot(ValidationError):
    default_detail = _("The ballot is not valid.")
    default_code = "invalid_ballot"


def _invalid_ballot(messages: list[str]) -> InvalidBallot:
    # A ballot's problems are about the ballot as a whole: non_field_errors, one message
    # per problem; the error handler joins them into "detail".
    return InvalidBallot({api_settings.NON_FIELD_ERRORS_KEY: [str(m) for m in messages]})


def _cycle(pk: int) -> BallotCycle:
    cycle = selectors.cycles_public().filter(pk=pk).first()
    if cycle is None:
        raise NotFound(_("There is no ballot cycle with this number."))
    return cycle


class _DeputyAPIView(APIView):
    """Token or session authentication (the project's defaults), linked deputies only."""

    permission_classes = [IsLinkedDeputy]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]


# --- Endpoints ------------------------------------------------------------------------


@extend_schema(tags=["ballots"], responses=OpenBallotSerializer(many=True))
class BallotListView(_DeputyAPIView):
    """``GET /api/v1/ballots/``: the cycles with a round open that the deputy may vote in.

    A plain list, not paginated (a deputy sits in a handful of congresses): per cycle
    ``id``, ``title``, ``congress``, ``year``, ``round`` (its number), ``kind``,
    ``places`` (the most "for" marks; null in a satisfaction vote), ``choices``,
    ``candidates`` and ``has_voted``. Two queries (rounds, candidates) after the
    token and the deputy, whatever the number of cycles and candidates.
    """

    def get(self, request):
        rounds = selectors.open_rounds_for(request.user.deputy)
        response = Response(OpenBallotSerializer(rounds, many=True).data)
        # Whether this deputy has voted is their business only.
        patch_cache_control(response, private=True, no_store=True)
        return response


# The marks never go into an error report (mail to ADMINS, Sentry and the like).
@method_decorator(sensitive_post_parameters(), name="dispatch")
@extend_schema(
    tags=["ballots"],
    request=BallotCastDoc,
    responses={201: ReceiptSerializer, **error_responses(409)},
)
class BallotCastView(_DeputyAPIView):
    """``POST /api/v1/ballots/<cycle id>/cast/``: cast the deputy's secret ballot in the
    cycle's open round.

    Body (JSON, at most 64 KB): ``{"marks": {"<candidate id>": "<choice>"}}`` with every
    candidate of the round marked once — ``for``, ``against`` or ``abstain`` in a
    selection vote or run-off (at most ``places`` marked ``for``), ``satisfied``,
    ``basically_satisfied`` or ``unsatisfied`` in the satisfaction vote.

    Answers 201 ``{"receipt"}`` the first time; 409 once the deputy's ballot is in
    the box, or when no round of the cycle is open (voting has not started, or is
    over: a state of the cycle, not a fault of the request); 400 for an invalid ballot
    (nothing is stored); 403 for a deputy of another congress; 404 for an unknown cycle.
    """

    def post(self, request, pk: int):
        check_body_size(request)
        deputy = request.user.deputy
        cycle = _cycle(pk)
        if not services.is_eligible(cycle, deputy):
            raise PermissionDenied(_("Only deputies of this congress may vote in this cycle."))
        round_ = services.open_round(cycle)
        if round_ is None:
            raise Conflict(_("Voting is not open in this cycle."))
        if services.has_voted(round_, deputy):
            # Whatever the body says now: a second ballot is a conflict, not a bad request.
            raise Conflict(
                _("You have voted in this round already; a ballot cannot be cast twice.")
            )
        body = BallotCastSerializer(data=request_data(request))
        if not body.is_valid():
            raise _invalid_ballot(body.errors[api_settings.NON_FIELD_ERRORS_KEY])
        try:
            receipt = services.ballot_cast(
                round_=round_, deputy=deputy, marks=body.validated_data["marks"]
            )
        except services.AlreadyVoted:
            raise Conflict(
                _("You have voted in this round already; a ballot cannot be cast twice.")
            ) from None
        except services.NotEligible as exc:
            raise PermissionDenied(str(exc.args[0])) from None
        except services.VotingClosed as exc:
            # Closed between the check above and the cast: the close won the race.
            raise Conflict(" ".join(exc.messages)) from None
        except DjangoValidationError as exc:
            raise _invalid_ballot(exc.messages) from None
        response = Response({"receipt": receipt}, status=status.HTTP_201_CREATED)
        # Shown once to the deputy: no cache, shared or private, may keep it.
        patch_cache_control(response, private=True, no_store=True)
        return response


@extend_schema(
    tags=["ballots"],
    responses={200: CycleResultsSerializer, **error_responses(403)},
)
class BallotResultsView(APIView):
    """``GET /api/v1/ballots/<cycle id>/results/``: the published results, open to anyone.

    Before publication 403, to everyone (staff and deputies too: the count is only
    official once published). Per counted selection round and run-off: the figures
    (electorate, electronic and valid paper ballots, deputies present, threshold basis
    and threshold, tie) and per candidate for / against / abstain, score, passed, rank,
    selected, tied; the finally selected candidates; the receipt codes, sorted, so each
    deputy can find theirs. Once the evaluation is published, the satisfaction vote too.
    Four queries whatever the number of rounds and candidates; three more once the
    satisfaction vote is published.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    def get(self, request, pk: int):
        cycle = _cycle(pk)
        if not selectors.results_published(cycle):
            raise PermissionDenied(_("The results of this cycle have not been published yet."))
        votes = [Round.Kind.SELECTION, Round.Kind.RUNOFF]
        rounds = selectors.counted_rounds(cycle, kinds=votes)
        satisfaction = None
        satisfaction_receipts: list[str] = []
        if selectors.evaluation_published(cycle):
            counted = selectors.counted_rounds(cycle, kinds=[Round.Kind.SATISFACTION])
            satisfaction = counted[-1] if counted else None
            satisfaction_receipts = selectors.receipts(cycle, kinds=[Round.Kind.SATISFACTION])
        serializer = CycleResultsSerializer(
            cycle,
            context={
                "rounds": rounds,
                "receipts": selectors.receipts(cycle, kinds=votes),
                "satisfaction": satisfaction,
                "satisfaction_receipts": satisfaction_receipts,
            },
        )
        return Response(serializer.data)


# --- Public cycles and projects -------------------------------------------------------

# A project is public once its cycle is being implemented (the public project page's rule).
IMPLEMENTING_PHASES = PHASE_ORDER[PHASE_ORDER.index(Phase.IMPLEMENTING) :]
REGION_VALIDATOR = RegexValidator(regions.CODE_RE, _("A division code has exactly 12 digits."))


def _region_subtree(field: str):
    def filter_region(queryset: QuerySet, name: str, value: str) -> QuerySet:
        # An indexed prefix match on the congress's region code: the whole subtree.
        return queryset.filter(**{f"{field}__startswith": regions.prefix_of(value)})

    return filter_region


class CycleFilter(django_filters.FilterSet):
    region = django_filters.CharFilter(
        method=_region_subtree("congress__region__code"),
        max_length=12,
        validators=[REGION_VALIDATOR],
        help_text=_("A 12-digit division code: the cycles of its whole subtree."),
    )
    year = django_filters.NumberFilter(min_value=2000, max_value=2100)
    phase = django_filters.ChoiceFilter(choices=Phase.choices)
    results_published = django_filters.BooleanFilter(
        method="filter_results_published",
        help_text=_("true: only cycles whose results are published."),
    )

    class Meta:
        model = BallotCycle
        fields = ["region", "year", "phase", "results_published"]

    def filter_results_published(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if value is None:
            return queryset
        lookup = {"phase__in": selectors.RESULTS_PHASES}
        return queryset.filter(**lookup) if value else queryset.exclude(**lookup)


class ProjectFilter(django_filters.FilterSet):
    cycle = django_filters.NumberFilter(field_name="candidate__cycle_id", min_value=1)
    region = django_filters.CharFilter(
        method=_region_subtree("candidate__cycle__congress__region__code"),
        max_length=12,
        validators=[REGION_VALIDATOR],
        help_text=_("A 12-digit division code: the projects of its whole subtree."),
    )
    year = django_filters.NumberFilter(
        field_name="candidate__cycle__year", min_value=2000, max_value=2100
    )
    status = django_filters.ChoiceFilter(choices=Project.Status.choices)

    class Meta:
        model = Project
        fields = ["cycle", "region", "year", "status"]


class _PublicListView(generics.ListAPIView):
    """Anonymous reads: no authentication, so no session and no CSRF check."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]


@extend_schema(tags=["ballots"])
class CycleListView(_PublicListView):
    """``GET /api/v1/cycles/``: every ballot cycle, newest year first, as the public list
    shows them; ``results_url`` once its results are published. One query a page."""

    serializer_class = CycleSerializer
    filterset_class = CycleFilter

    def get_queryset(self):
        return selectors.cycles_public()


def _public_projects() -> QuerySet[Project]:
    return Project.objects.filter(candidate__cycle__phase__in=IMPLEMENTING_PHASES)


@extend_schema(tags=["projects"])
class ProjectListView(_PublicListView):
    """``GET /api/v1/projects/``: the selected projects being carried out, with their
    progress. One query a page."""

    serializer_class = ProjectListSerializer
    filterset_class = ProjectFilter
    ordering_fields = ["progress", "updated_at"]

    def get_queryset(self):
        return (
            _public_projects()
            .select_related("candidate__cycle__congress", "supervising_group")
            .order_by("-candidate__cycle__year", "candidate__cycle_id", "candidate__number")
        )


@extend_schema(tags=["projects"])
class ProjectDetailView(generics.RetrieveAPIView):
    """``GET /api/v1/projects/<id>/``: a project's public progress page — milestones,
    progress reports, photos, inspections (not who made them). 404 before its cycle is
    implemented. Five queries."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    serializer_class = ProjectDetailSerializer

    def get_object(self):
        try:
            project = selectors.project_detail(self.kwargs["pk"])
        except Project.DoesNotExist:
            raise NotFound(_("There is no public project with this number.")) from None
        if not project.candidate.cycle.reached(Phase.IMPLEMENTING):
            raise NotFound(_("There is no public project with this number."))
        return project
