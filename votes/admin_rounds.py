"""The pages of a ballot cycle beyond its change form: the step buttons, attendance, a
round's page (figures, results and the roll of who voted) and the paper tally entry.

Every page loads the cycle through the admin's scoped ``get_object`` (another region's
cycle is a 404) and each write is a POST with CSRF to a service of ``votes.services``;
a refusal is reported with ``message_user`` or on the form, never as a server error.

Secrecy: ballots and marks are never read here. The roll is shown as a count and, on the
round page, as the list of deputies who voted, sorted by name: the roll's own order
would tell the order in which deputies voted.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liaison.admin import admin_page
from stations.models import Deputy
from votes import services
from votes.admin_forms import AttendanceForm, TallyForm
from votes.models import (
    Attendance,
    BallotCycle,
    Choice,
    Phase,
    RollEntry,
    Round,
    RoundResult,
    TallyLine,
)


@dataclass(frozen=True)
class Step:
    label: str
    run: Callable[[BallotCycle, Round | None, object], object]  # (cycle, round, by)
    needs_round: bool = False


def _move(to: str):
    return lambda cycle, round_, by: services.cycle_move(cycle=cycle, to=to, by=by)


def _on_cycle(service):
    """A step that runs ``service(cycle=..., by=...)``."""
    return lambda cycle, round_, by: service(cycle=cycle, by=by)


def _on_round(service):
    """A step that runs ``service(round_=..., by=...)`` on the round its button names."""
    return lambda cycle, round_, by: service(round_=round_, by=by)


STEPS: dict[str, Step] = {
    "to_screening": Step(_("Start screening"), _move(Phase.SCREENING)),
    "to_collecting": Step(_("Back to collecting"), _move(Phase.COLLECTING)),
    "publish_candidates": Step(_("Publish the candidate list"), _move(Phase.CANDIDATES)),
    "back_to_screening": Step(_("Back to screening"), _move(Phase.SCREENING)),
    "voting_open": Step(_("Open voting (freezes the rules)"), _on_cycle(services.voting_open)),
    "round_close": Step(_("Close the round"), _on_round(services.round_close), needs_round=True),
    "round_count": Step(_("Count the round"), _on_round(services.round_count), needs_round=True),
    "runoff_open": Step(
        _("Open a run-off among the tied candidates"), _on_cycle(services.runoff_open)
    ),
    "results_publish": Step(_("Publish the results"), _on_cycle(services.results_publish)),
    "implementation_start": Step(
        _("Start implementation tracking"), _on_cycle(services.implementation_start)
    ),
    "satisfaction_open": Step(
        _("Open the satisfaction vote"), _on_cycle(services.satisfaction_open)
    ),
    "evaluation_publish": Step(
        _("Publish the satisfaction results"), _on_cycle(services.evaluation_publish)
    ),
}


def steps_for(cycle: BallotCycle, rounds: list[Round]) -> list[tuple[str, str, int | None]]:
    """The next steps of a cycle, as (step, label, round id) for its page's buttons."""
    under_way = next((r for r in rounds if r.status != Round.Status.COUNTED), None)
    names: list[str] = []
    phase = cycle.phase
    if phase == Phase.COLLECTING:
        names = ["to_screening"]
    elif phase == Phase.SCREENING:
        names = ["to_collecting", "publish_candidates"]
    elif phase == Phase.CANDIDATES:
        names = ["back_to_screening", "voting_open"]
    elif phase in (Phase.VOTING, Phase.IMPLEMENTING) and under_way is not None:
        names = ["round_close" if under_way.is_open else "round_count"]
    elif phase == Phase.COUNTED:
        votes = [r for r in rounds if r.kind != Round.Kind.SATISFACTION]
        names = ["runoff_open" if votes and votes[-1].tie else "results_publish"]
    elif phase == Phase.PUBLISHED:
        names = ["implementation_start"]
    elif phase == Phase.IMPLEMENTING:
        rated = any(r.kind == Round.Kind.SATISFACTION for r in rounds)
        names = ["evaluation_publish" if rated else "satisfaction_open"]
    return [
        (name, STEPS[name].label, under_way.pk if STEPS[name].needs_round else None)
        for name in names
    ]


def result_rows(round_: Round, results) -> list[tuple[RoundResult, list[int]]]:
    """Each result with its votes in the order of the round's choices."""
    return [
        (result, [result.counts.get(str(choice), 0) for choice in round_.choices])
        for result in results
    ]


def rounds_of(cycle: BallotCycle) -> list[Round]:
    """The cycle's rounds with the number of ballots cast (the roll's count) and their
    results (2 queries)."""
    return list(
        cycle.rounds.annotate(ballots_cast=Count("roll"))
        .prefetch_related(
            Prefetch(
                "results",
                queryset=RoundResult.objects.select_related("candidate").order_by(
                    "rank", "candidate__number"
                ),
            )
        )
        .order_by("number")
    )


class CyclePagesMixin:
    """Custom pages of ``BallotCycleAdmin``."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/step/<slug:step>/",
                view(self.step_view),
                name="votes_ballotcycle_step",
            ),
            path(
                "<path:object_id>/attendance/",
                view(self.attendance_view),
                name="votes_ballotcycle_attendance",
            ),
            path(
                "<path:object_id>/rounds/<int:round_id>/",
                view(self.round_view),
                name="votes_ballotcycle_round",
            ),
            path(
                "<path:object_id>/rounds/<int:round_id>/tally/",
                view(self.tally_view),
                name="votes_ballotcycle_tally",
            ),
            *super().get_urls(),
        ]

    # -- Helpers

    def _round_of(self, cycle: BallotCycle, round_id) -> Round:
        round_ = Round.objects.filter(cycle=cycle, pk=round_id).first()
        if round_ is None:
            raise Http404(gettext("No such round in this cycle."))
        round_.cycle = cycle
        return round_

    def _change_url(self, cycle: BallotCycle) -> str:
        return reverse("admin:votes_ballotcycle_change", args=[cycle.pk])

    def _page(self, request, template: str, cycle: BallotCycle, title, **context):
        return admin_page(
            self,
            request,
            f"admin/votes/ballotcycle/{template}",
            {"original": cycle, "title": title, **context},
        )

    # -- The step buttons

    def step_view(self, request, object_id, step):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        cycle = self.object_to_change(request, object_id)
        if step not in STEPS:
            raise Http404(gettext("No such step."))
        definition = STEPS[step]
        round_ = None
        if definition.needs_round:
            round_id = request.POST.get("round", "")
            if not (round_id.isascii() and round_id.isdigit() and len(round_id) <= 18):
                self.message_user(request, gettext("Choose the round."), messages.ERROR)
                return HttpResponseRedirect(self._change_url(cycle))
            round_ = self._round_of(cycle, int(round_id))
        try:
            result = definition.run(cycle, round_, request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(self._change_url(cycle))
        cycle.refresh_from_db(fields=["phase"])
        self.message_user(
            request,
            gettext("%(step)s: done. The cycle is at “%(phase)s”.")
            % {"step": definition.label, "phase": cycle.get_phase_display()},
            messages.SUCCESS,
        )
        if isinstance(result, Round) and result.status == Round.Status.COUNTED and result.tie:
            self.message_user(
                request,
                gettext(
                    "A tie at the cut line: the tied candidates go to a run-off for the "
                    "remaining places."
                ),
                messages.WARNING,
            )
        return HttpResponseRedirect(self._change_url(cycle))

    # -- Attendance

    def attendance_view(self, request, object_id):
        """Who is present at the voting session (for the "deputies present" basis)."""
        cycle = self.object_to_change(request, object_id)
        eligible = services.eligible_deputies(cycle).order_by("name", "code")
        present = set(Attendance.objects.filter(cycle=cycle).values_list("deputy_id", flat=True))
        posted = request.method == "POST"
        form = AttendanceForm(
            request.POST if posted else None,
            eligible=eligible,
            initial={"deputies": sorted(present)},
        )
        if posted and form.is_valid():
            try:
                count = services.attendance_set(
                    cycle=cycle, deputies=form.cleaned_data["deputies"], by=request.user
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(
                    request,
                    gettext("Attendance recorded: %(count)s present.") % {"count": count},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(cycle))
        return self._page(
            request,
            "attendance.html",
            cycle,
            _("Attendance"),
            form=form,
        )

    # -- A round's page

    def round_view(self, request, object_id, round_id):
        cycle = self.get_object(request, unquote(object_id))
        if not self.has_view_or_change_permission(request, cycle):
            raise PermissionDenied
        round_ = self._round_of(cycle, round_id)
        ballots_cast = RollEntry.objects.filter(round=round_).count()
        # Who voted, never in the order they voted: by name, through a subquery so the
        # roll's rows are not read in their own order.
        voters = Deputy.objects.filter(
            pk__in=RollEntry.objects.filter(round=round_).values("deputy_id")
        ).order_by("name", "code")
        results = RoundResult.objects.filter(round=round_).select_related("candidate")
        may_tally = request.user.has_perm("votes.enter_tally")
        return self._page(
            request,
            "round.html",
            cycle,
            str(round_),
            round=round_,
            ballots_cast=ballots_cast,
            voters=list(voters.only("name", "code")),
            choices=[Choice(c).label for c in round_.choices],
            results=result_rows(round_, results.order_by("rank", "candidate__number")),
            tally=services.tally_status(round_) if may_tally else None,
            may_tally=may_tally,
        )

    # -- The paper tally (双人录入)

    def tally_view(self, request, object_id, round_id):
        """One scrutineer's entry of the paper count.

        The page shows the clerk their own entry only. Of the other entry it tells just
        whether it exists, whether the two agree, and which items differ (labels, never
        figures), so the second clerk types what the papers say, not what the first did.
        """
        cycle = self.get_object(request, unquote(object_id))
        if not (
            request.user.has_perm("votes.enter_tally")
            and self.has_view_or_change_permission(request, cycle)
        ):
            raise PermissionDenied
        round_ = self._round_of(cycle, round_id)
        candidates = round_.candidates.order_by("number")
        own = round_.tally_sheets.filter(entered_by=request.user).first()
        initial = {}
        if own is not None:
            initial = {"issued": own.issued, "returned": own.returned, "invalid": own.invalid}
            for line in TallyLine.objects.filter(sheet=own):
                initial[TallyForm.field_name(line.candidate_id, line.choice)] = line.count
        posted = request.method == "POST"
        counted = round_.status == Round.Status.COUNTED
        form = TallyForm(
            request.POST if posted and not counted else None,
            round_=round_,
            candidates=candidates,
            initial=initial,
        )
        if posted and not counted and form.is_valid():
            data = form.cleaned_data
            try:
                status = services.tally_enter(
                    round_=round_,
                    by=request.user,
                    issued=data["issued"],
                    returned=data["returned"],
                    invalid=data["invalid"],
                    lines=form.lines(),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if status.agreed:
                    self.message_user(
                        request,
                        gettext(
                            "Your entry is saved. Both entries agree: the paper tally is accepted."
                        ),
                        messages.SUCCESS,
                    )
                else:
                    self.message_user(
                        request,
                        gettext("Your entry is saved."),
                        messages.SUCCESS,
                    )
                return HttpResponseRedirect(
                    reverse("admin:votes_ballotcycle_tally", args=[cycle.pk, round_.pk])
                )
        return self._page(
            request,
            "tally.html",
            cycle,
            _("Paper ballot tally"),
            round=round_,
            form=form,
            choices=[Choice(c).label for c in round_.choices],
            status=services.tally_status(round_),
            has_own_entry=own is not None,
            counted=counted,
        )
