from django.core.management import call_command

from liaison.models import Region, User
from stations.models import Congress, Deputy, Membership, Placement, ReceptionDay, Station


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (Region, Congress, Station, Deputy, Membership, Placement, ReceptionDay, User)
    }


def test_seed_demo_meets_the_brief_and_is_idempotent(db):
    call_command("seed_demo", force=True, verbosity=0)
    first = _counts()
    call_command("seed_demo", force=True, verbosity=0)
    assert _counts() == first

    levels = dict.fromkeys(("city", "county", "township"), 0)
    for level in Region.objects.values_list("level", flat=True):
        if level in levels:
            levels[level] += 1
    assert levels["city"] >= 3 and levels["county"] >= 6 and levels["township"] >= 20
    assert first["Station"] >= 50
    assert first["Deputy"] >= 300
    assert set(
        Congress.objects.filter(memberships__isnull=False).values_list("level", flat=True)
    ) == {"national", "province", "city", "county", "township"}
    # Some people sit in two congresses at once.
    assert (
        Deputy.objects.filter(memberships__congress__level="township")
        .filter(memberships__congress__level="county")
        .exists()
    )
    assert first["ReceptionDay"] > 0


def test_seed_demo_accounts_can_log_in_with_their_roles(client, db):
    call_command("seed_demo", force=True, verbosity=0)
    roles = dict(User.objects.values_list("username", "role"))
    assert roles["hengyangxian_clerk"] == "office"
    assert roles["dept_handler"] == "department"
    assert roles["deputy_demo"] == "deputy"
    assert User.objects.get(username="admin").is_superuser
    assert Deputy.objects.get(user__username="deputy_demo")
    assert client.login(username="hengyangxian_clerk", password="Liaison#2026")
    assert client.get("/admin/stations/station/").status_code == 200


def test_seed_demo_refuses_to_run_in_production_without_force(db, settings):
    import pytest
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", verbosity=0)
    assert not User.objects.exists()


def test_seed_demo_keeps_a_changed_password(db):
    call_command("seed_demo", force=True, verbosity=0)
    admin = User.objects.get(username="admin")
    admin.set_password("a much better secret 2026")
    admin.save()
    call_command("seed_demo", force=True, verbosity=0)
    admin.refresh_from_db()
    assert admin.check_password("a much better secret 2026")
