"""The decision rule of a vote, as a pure function: scores in, outcome out.

Kept free of the database so it can be read against the voting measure and tested on
random ballots against an independent reference count (tests/votes/test_counting.py).

The rule (民生实事项目人大代表票决办法, as the seeds describe it):

- a candidate passes with more than half of the basis (``threshold`` = basis // 2 + 1);
  a run-off has no threshold: its candidates passed it already;
- the places go to the passing candidates by number of votes;
- if the last place would go to one of several candidates with the same number of votes
  (a tie at the cut line), those candidates are all flagged as tied, the candidates
  above the line are selected, and a run-off among the tied ones settles the remaining
  places. Nothing is ever settled silently (by ballot order, name or chance).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    candidate_id: int
    score: int
    passed: bool
    rank: int  # competition ranking: 1, 2, 2, 4
    selected: bool
    tied: bool


def decide(scores: dict[int, int], *, places: int, threshold: int | None) -> list[Outcome]:
    """Who is selected, given each candidate's votes ``for``.

    ``threshold`` is the fewest votes that pass, or None when every candidate passes.
    Returns one outcome per candidate, best score first.
    """
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    passing = [(cid, score) for cid, score in ordered if threshold is None or score >= threshold]
    selected: set[int] = set()
    tied: set[int] = set()
    if len(passing) <= places:
        selected = {cid for cid, _score in passing}
    else:
        cut = passing[places - 1][1] if places else None
        above = {cid for cid, score in passing if cut is not None and score > cut}
        at_cut = {cid for cid, score in passing if score == cut}
        if len(above) + len(at_cut) <= places:
            selected = above | at_cut
        else:
            selected = above
            tied = at_cut
    return [
        Outcome(
            candidate_id=cid,
            score=score,
            passed=threshold is None or score >= threshold,
            rank=1 + sum(1 for _other, other_score in ordered if other_score > score),
            selected=cid in selected,
            tied=cid in tied,
        )
        for cid, score in ordered
    ]


def threshold_for(basis: int) -> int:
    """More than half of ``basis``: the fewest votes that pass."""
    return basis // 2 + 1
