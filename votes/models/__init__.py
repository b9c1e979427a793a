"""Votes' models, one module per stage: cycles (rules, proposals, candidates), ballots
(rounds, the roll, secret ballots, paper tallies, results) and projects (implementation
tracking after the vote)."""

from votes.models.ballots import *  # noqa: F403
from votes.models.cycles import *  # noqa: F403
from votes.models.projects import *  # noqa: F403
