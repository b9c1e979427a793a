"""Steps the journeys share."""

PASSWORD = "correct horse battery"  # tests.factories.make_user's


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the site's own login page, as a handler or a deputy does."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form[action$='/accounts/login/'] button[type=submit]")
    page.wait_for_load_state("load")
    assert "/accounts/login/" not in page.url, page.locator("main").inner_text()


def sms_to(gateway, phone: str) -> list[str]:
    """The texts the fake SMS gateway received for ``phone``."""
    return [r["json"]["text"] for r in gateway.requests if r["json"]["phone"] == phone]
