"""The ballots API (``/api/v1/ballots/``): a deputy's open ballots, casting a secret
ballot, and a cycle's published results.

Listing and casting need a deputy's account linked to a deputy record, signed in with
an API token (``Authorization: Token <key>``, from ``POST /api/v1/auth/token/``) or a
session (then with the CSRF token, as any form). Anonymous requests answer 401,
everyone else who is not a linked deputy 403. Results are public, once published.

Every error body is ``{"detail": "<message>"}`` in the visitor's language; an invalid
ballot adds ``"errors"``, one message per problem. The views are thin: the serializers
check shapes, ``votes.services`` decides and writes, ``votes.selectors`` reads.

Secrecy: the receipt code goes into the 201 answer and nowhere else — not into a log,
the session, a message or a cache (the answer says ``Cache-Control: no-store``).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework import status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from liaison.api import BadRequest, Conflict, check_body_size, request_data
from stations.rules import is_linked_deputy
from votes import selectors, services
from votes.models import BallotCycle, Round
from votes.serializers import BallotCastSerializer, CycleResultsSerializer, OpenBallotSerializer

# --- Permissions and errors -----------------------------------------------------------


class IsLinkedDeputy(BasePermission):
    """A signed-in deputy whose account is linked to a deputy record."""

    message = _("Only deputies can vote: this account is not linked to a deputy.")

    def has_permission(self, request, view) -> bool:
        return is_linked_deputy(request.user)


class InvalidBallot(BadRequest):
    default_detail = _("The ballot is not valid.")
    default_code = "invalid_ballot"


def _invalid_ballot(messages: list[str]) -> InvalidBallot:
    messages = [str(message) for message in messages]
    # "detail" as every other error has it; "errors" for a client that lists them.
    return InvalidBallot({"detail": " ".join(messages), "errors": messages})


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
