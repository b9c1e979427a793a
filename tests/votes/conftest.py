"""Votes fixtures: the Hengyang county congress (衡阳县) with five deputies who have
accounts, a cycle with 4 candidates for 3 places, and a neighbouring county's deputy."""

import pytest

from tests.factories import CongressFactory, make_cycle, make_voters


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def congress(hengyang_county):
    return CongressFactory(region=hengyang_county, level="county", name="衡阳县人民代表大会")


@pytest.fixture
def other_congress(hengnan_county):
    return CongressFactory(region=hengnan_county, level="county", name="衡南县人民代表大会")


@pytest.fixture
def voters(congress):
    """Five deputies of the Hengyang county congress, each with an account."""
    return make_voters(congress, 5)


@pytest.fixture
def outsider(other_congress):
    """A deputy of the Hengnan county congress, with an account."""
    return make_voters(other_congress, 1, prefix="hengnan")[0]


@pytest.fixture
def cycle(congress, voters):
    """4 candidates for 3 places (margin 0.2 needs ceil(3.6) = 4), ready to open."""
    return make_cycle(congress, places=3, candidates=4)
