"""Journey 4: a deputy casts a secret ballot on a phone in an open livelihood-project
cycle and keeps the receipt; after the count, anyone's phone finds that receipt among
the counted ballots on the public results page, and follows a selected project."""

import pytest

from tests.e2e.checks import look, scroll_to
from tests.e2e.helpers import sign_in
from tests.factories import make_cycle, make_voters
from votes import services
from votes.models import Candidate, Choice

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PROJECTS = [
    "西渡镇农贸市场提质改造",
    "县城老旧小区雨污分流改造",
    "乡镇卫生院远程诊疗全覆盖",
    "农村公路安全生命防护工程",
]
# Dora's marks: the first three "for", the fourth "against".
MARKS = ["赞成", "赞成", "赞成", "反对"]


@pytest.fixture
def open_cycle(town, county_clerk):
    """The county congress's 2027 cycle, 4 candidates for 3 places, open for voting;
    besides Dora and Wang, three more deputies have seats."""
    make_voters(town.congress, 3)
    cycle = make_cycle(
        town.congress, places=3, candidates=4, title="衡阳县2027年民生实事项目人大代表票决"
    )
    for candidate, title in zip(cycle.candidates.order_by("number"), PROJECTS, strict=True):
        candidate.title = title
        candidate.save(update_fields=["title"])
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    return cycle, round_


def test_a_deputy_votes_and_finds_the_receipt_among_the_counted_ballots(
    open_cycle, phone, shots, town, deputy_user, county_clerk
):
    cycle, round_ = open_cycle
    page = phone()
    sign_in(page, deputy_user.username)
    page.goto("/deputy/ballots/")
    look(page, shots, None)

    page.get_by_role("link", name=cycle.title).first.click()
    page.get_by_role("heading", name="无记名投票").wait_for()
    papers = page.locator(".ballot-paper fieldset")
    assert papers.count() == 4
    for index, mark in enumerate(MARKS):
        papers.nth(index).get_by_label(mark).check()
    look(page, shots, "04-ballot-paper", full_page=True)

    with page.expect_response(lambda r: r.request.method == "POST") as cast:
        page.get_by_role("button", name="投出选票").click()
    assert cast.value.status == 201
    page.get_by_role("heading", name="您的选票已投出").wait_for()
    receipt = page.locator(".tracking-code").inner_text().strip()
    assert len(receipt) >= 8
    look(page, shots, "04-ballot-receipt")

    # The ballot page now says Dora has voted; a second ballot is refused.
    page.goto(f"/deputy/ballots/{round_.pk}/")
    assert page.locator(".tracking-code").count() == 0

    # The others vote, the office closes and counts the round and publishes the results.
    candidates = list(Candidate.objects.filter(cycle=cycle).order_by("number"))
    others = list(services.eligible_deputies(cycle).exclude(pk=town.dora.pk))
    assert len(others) == 4
    for deputy in others:
        services.ballot_cast(
            round_=round_,
            deputy=deputy,
            marks={c.pk: Choice.FOR if c.number != 3 else Choice.AGAINST for c in candidates},
        )
    services.round_close(round_=round_, by=county_clerk)
    services.round_count(round_=round_, by=county_clerk)
    services.results_publish(cycle=cycle, by=county_clerk)
    services.implementation_start(cycle=cycle, by=county_clerk)

    # Anyone, signed in or not, reads the results and finds the receipt.
    public = phone()
    public.goto("/ballots/")
    look(public, shots, None)
    public.get_by_role("link", name=cycle.title).first.click()
    public.locator("h1").wait_for()
    rows = public.locator("table.results").first.locator("tbody tr")
    # Project, for, against, abstain: Dora's "against" is the one against project 4.
    figures = {
        cells[1].split(". ", 1)[1]: cells[2:5]
        for cells in (row.locator("td").all_inner_texts() for row in rows.all())
    }
    assert figures == {
        PROJECTS[0]: ["5", "0", "0"],
        PROJECTS[1]: ["5", "0", "0"],
        PROJECTS[2]: ["1", "4", "0"],
        PROJECTS[3]: ["4", "1", "0"],
    }
    scroll_to(public, "table.results", "center")
    look(public, shots, "04-public-results")
    search = public.get_by_role("searchbox")
    search.fill(receipt[:6])
    codes = public.locator("[data-receipts] li:not([hidden])")
    assert receipt in codes.all_inner_texts()
    search.fill(receipt)
    assert codes.all_inner_texts() == [receipt]
    scroll_to(public, "#receipts")
    look(public, shots, "04-public-receipt-found", cjk="#receipts-title")

    # Projects 1, 2 and 4 were selected (3 had a majority against it).
    public.get_by_role("link", name=f"1. {PROJECTS[0]}").click()
    public.get_by_role("heading", name=PROJECTS[0]).wait_for()
    look(public, shots, "04-public-project")
