"""Serializers of the ballots API: they parse input and shape output only.

Whether a ballot is valid (every candidate marked once, allowed choices, no more "for"
marks than places) is the service's decision (``services.ballot_cast``), so the web
form and the API refuse the same ballots with the same messages. The cast serializer
checks only the shape of the body. The output serializers name every field they emit.
"""

from collections.abc import Mapping

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from votes import selectors
from votes.models import BallotCycle, Candidate, Choice, Project, Round
from votes.models.projects import Inspection, Milestone, ProgressReport, ProjectPhoto

# --- Input ----------------------------------------------------------------------------


def _canonical_id(key) -> bool:
    # "05", " 5" or "٥" all read as 5 to int(); a ballot names each candidate once, in
    # one spelling, so two keys can never silently stand for the same candidate.
    return (
        isinstance(key, str)
        and 0 < len(key) <= 18
        and key.isascii()
        and key.isdigit()
        and key == str(int(key))
    )


class BallotCastSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/ballots/<cycle id>/cast/``.

    ``{"marks": {"<candidate id>": "<choice>", ...}}``; ``validated_data["marks"]`` is
    the marks object as sent, for the service to judge.
    """

    default_error_messages = {
        "shape": _(
            'Send the ballot as {"marks": {"<candidate id>": "<choice>"}}, '
            "one mark for every candidate."
        ),
        "key": _("“%(key)s” is not a candidate on this ballot."),
    }

    def run_validation(self, data=serializers.empty):
        # The whole body is one value: null, a list or a string must reach
        # to_internal_value, which says what shape is expected, instead of DRF's
        # generic "No data provided" or "Invalid data".
        return self.to_internal_value(None if data is serializers.empty else data)

    def to_internal_value(self, data):
        if not isinstance(data, Mapping) or not isinstance(data.get("marks"), Mapping):
            raise self._error([self.error_messages["shape"]])
        marks = data["marks"]
        strangers = [key for key in marks if not _canonical_id(key)]
        if strangers:
            raise self._error(
                [self.error_messages["key"] % {"key": str(key)[:20]} for key in strangers]
            )
        return {"marks": dict(marks)}

    @staticmethod
    def _error(messages: list) -> serializers.ValidationError:
        return serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: messages})


class BallotCastDoc(serializers.Serializer):
    """The documented shape of a ballot (the schema's; ``BallotCastSerializer`` parses it)."""

    marks = serializers.DictField(
        child=serializers.ChoiceField(choices=Choice.choices),
        help_text=_("One mark per candidate of the round, keyed by the candidate's id."),
    )


class ReceiptSerializer(serializers.Serializer):
    receipt = serializers.CharField(
        help_text=_("Shown once: find it among the published receipts to see your ballot counted.")
    )


# --- Open ballots ---------------------------------------------------------------------


class BallotCandidateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Candidate
        fields = [
            "id",
            "number",
            "title",
            "description",
            "investment",
            "responsible_unit",
            "planned_completion",
        ]


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class OpenBallotSerializer(serializers.Serializer):
    """A cycle with a round open to the requesting deputy (a row of
    ``selectors.open_rounds_for``, annotated with ``has_voted``)."""

    id = serializers.IntegerField(source="cycle_id")
    title = serializers.CharField(source="cycle.title")
    congress = serializers.CharField(source="cycle.congress.name")
    year = serializers.IntegerField(source="cycle.year")
    round = serializers.IntegerField(source="number")
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    places = serializers.SerializerMethodField()
    choices = serializers.SerializerMethodField()
    candidates = BallotCandidateSerializer(many=True)
    has_voted = serializers.BooleanField()

    def get_places(self, round_: Round) -> int | None:
        # The most "for" marks a ballot may carry; a satisfaction vote has no such limit.
        return None if round_.kind == Round.Kind.SATISFACTION else round_.places

    @extend_schema_field(ChoiceSerializer(many=True))
    def get_choices(self, round_: Round) -> list[dict]:
        return ChoiceSerializer(
            [{"value": str(choice), "label": Choice(choice).label} for choice in round_.choices],
            many=True,
        ).data


# --- Results --------------------------------------------------------------------------


class ResultCandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    title = serializers.CharField()


class SelectionResultSerializer(serializers.BaseSerializer):
    """A candidate's result in a selection vote or run-off (a ``RoundResult``).

    Written out by hand because one key, "for", is a Python keyword and cannot be a
    declared field's name.
    """

    def to_representation(self, result) -> dict:
        counts = result.counts
        return {
            "candidate": ResultCandidateSerializer(result.candidate).data,
            "for": counts.get(Choice.FOR, 0),
            "against": counts.get(Choice.AGAINST, 0),
            "abstain": counts.get(Choice.ABSTAIN, 0),
            "score": result.score,
            "passed": result.passed,
            "rank": result.rank,
            "selected": result.selected,
            "tied": result.tied,
        }


class ChoiceCountField(serializers.ReadOnlyField):
    """How many marks of one choice a ``RoundResult`` counted (0 when none)."""

    def __init__(self, choice: str, **kwargs):
        self.choice = choice
        super().__init__(source="counts", **kwargs)

    def to_representation(self, counts) -> int:
        return counts.get(self.choice, 0)


class SatisfactionResultSerializer(serializers.Serializer):
    candidate = ResultCandidateSerializer()
    satisfied = ChoiceCountField(Choice.SATISFIED)
    basically_satisfied = ChoiceCountField(Choice.BASICALLY_SATISFIED)
    unsatisfied = ChoiceCountField(Choice.UNSATISFIED)
    score = serializers.IntegerField()
    rank = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class CountedRoundSerializer(serializers.Serializer):
    """A counted round with its figures; ``results`` as prefetched by the selector."""

    number = serializers.IntegerField()
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    places = serializers.IntegerField()
    electorate = serializers.IntegerField()
    electronic_ballots = serializers.IntegerField()
    paper_ballots = serializers.IntegerField(source="paper_valid")
    present = serializers.IntegerField()
    basis = serializers.IntegerField()
    threshold = serializers.IntegerField()
    tie = serializers.BooleanField()
    counted_at = serializers.DateTimeField()
    results = serializers.SerializerMethodField()

    @extend_schema_field(
        serializers.ListField(
            child=serializers.DictField(),
            help_text=_(
                "Per candidate: candidate, the count of each choice, score, rank, and in a "
                "selection vote passed, selected and tied."
            ),
        )
    )
    def get_results(self, round_: Round) -> list[dict]:
        rows = list(round_.results.all())
        if round_.kind == Round.Kind.SATISFACTION:
            return SatisfactionResultSerializer(rows, many=True).data
        return SelectionResultSerializer(rows, many=True).data


class CycleResultsSerializer(serializers.Serializer):
    """A cycle's published results.

    Context: ``rounds`` (the counted selection and run-off rounds), ``receipts`` (their
    receipt codes, sorted), ``satisfaction`` (the counted satisfaction round once the
    evaluation is published, else None) and ``satisfaction_receipts``.
    """

    id = serializers.IntegerField()
    title = serializers.CharField()
    congress = serializers.CharField(source="congress.name")
    year = serializers.IntegerField()
    places = serializers.IntegerField()
    threshold_basis = serializers.CharField()
    threshold_basis_display = serializers.CharField(source="get_threshold_basis_display")
    published_at = serializers.DateTimeField()
    rounds = serializers.SerializerMethodField()
    selected = serializers.SerializerMethodField()
    receipts = serializers.SerializerMethodField()
    satisfaction = serializers.SerializerMethodField()

    @extend_schema_field(CountedRoundSerializer(many=True))
    def get_rounds(self, cycle) -> list[dict]:
        return CountedRoundSerializer(self.context["rounds"], many=True).data

    @extend_schema_field(ResultCandidateSerializer(many=True))
    def get_selected(self, cycle) -> list[dict]:
        # The candidates finally selected (the run-offs' winners included), best first:
        # read from the result rows already loaded, not queried again.
        candidates = {
            result.candidate_id: result.candidate
            for round_ in self.context["rounds"]
            for result in round_.results.all()
            if result.candidate.selected
        }
        ordered = sorted(candidates.values(), key=lambda c: (c.final_rank or 0, c.number))
        return ResultCandidateSerializer(ordered, many=True).data

    def get_receipts(self, cycle) -> list[str]:
        return self.context["receipts"]

    def get_satisfaction(self, cycle) -> dict | None:
        round_ = self.context["satisfaction"]
        if round_ is None:
            return None
        data = CountedRoundSerializer(round_).data
        data["receipts"] = self.context["satisfaction_receipts"]
        return data


# --- Public cycles and projects -------------------------------------------------------


class CycleSerializer(serializers.ModelSerializer):
    """A row of ``GET /api/v1/cycles/``: what the public cycle list shows."""

    congress = serializers.CharField(source="congress.name")
    region = serializers.CharField(source="congress.region_id", allow_null=True)
    phase_display = serializers.CharField(source="get_phase_display")
    results_published = serializers.SerializerMethodField()
    results_url = serializers.SerializerMethodField()

    class Meta:
        model = BallotCycle
        fields = [
            "id",
            "title",
            "congress",
            "region",
            "year",
            "places",
            "phase",
            "phase_display",
            "published_at",
            "evaluated_at",
            "results_published",
            "results_url",
        ]

    def get_results_published(self, cycle: BallotCycle) -> bool:
        return selectors.results_published(cycle)

    def get_results_url(self, cycle: BallotCycle) -> str | None:
        if not selectors.results_published(cycle):
            return None
        path = reverse("votes_api:results", args=[cycle.pk])
        return self.context["request"].build_absolute_uri(path)


class ProjectCycleSerializer(serializers.ModelSerializer):
    congress = serializers.CharField(source="congress.name")

    class Meta:
        model = BallotCycle
        fields = ["id", "title", "year", "congress"]


class ProjectListSerializer(serializers.ModelSerializer):
    """A row of ``GET /api/v1/projects/``: a selected project and how far it is."""

    number = serializers.IntegerField(source="candidate.number")
    title = serializers.CharField(source="candidate.title")
    cycle = ProjectCycleSerializer(source="candidate.cycle")
    status_display = serializers.CharField(source="get_status_display")
    responsible_unit = serializers.CharField(source="candidate.responsible_unit")
    planned_completion = serializers.DateField(source="candidate.planned_completion")
    supervising_group = serializers.CharField(
        source="supervising_group.name", allow_null=True, default=None
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "number",
            "title",
            "cycle",
            "status",
            "status_display",
            "progress",
            "budget",
            "spent",
            "responsible_unit",
            "planned_completion",
            "started_on",
            "completed_on",
            "supervising_group",
            "updated_at",
        ]


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["title", "due_date", "progress", "completed_on"]


class ProgressReportSerializer(serializers.ModelSerializer):
    """A progress report as the public page shows it (not who entered it)."""

    class Meta:
        model = ProgressReport
        fields = ["reported_on", "progress", "spent", "note"]


class ProjectPhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ProjectPhoto
        fields = ["url", "caption", "taken_on"]

    def get_url(self, photo: ProjectPhoto) -> str:
        return self.context["request"].build_absolute_uri(photo.image.url)


class InspectionSerializer(serializers.ModelSerializer):
    """An inspection's finding and report; which deputies went is not published."""

    kind_display = serializers.CharField(source="get_kind_display")
    finding_display = serializers.CharField(source="get_finding_display")

    class Meta:
        model = Inspection
        fields = ["kind", "kind_display", "inspected_on", "finding", "finding_display", "report"]


class ProjectDetailSerializer(ProjectListSerializer):
    """``GET /api/v1/projects/<id>/``: the public progress page as data."""

    description = serializers.CharField(source="candidate.description")
    location = serializers.CharField(source="candidate.location")
    milestones = MilestoneSerializer(many=True)
    reports = ProgressReportSerializer(many=True)
    photos = ProjectPhotoSerializer(many=True)
    inspections = InspectionSerializer(many=True)

    class Meta(ProjectListSerializer.Meta):
        fields = [
            *ProjectListSerializer.Meta.fields,
            "description",
            "location",
            "plan",
            "milestones",
            "reports",
            "photos",
            "inspections",
        ]
