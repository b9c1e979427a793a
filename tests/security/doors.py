"""Who may open which door: the expected answer to every URL, for every role.

``test_every_door.py`` walks every URL pattern and compares what each role gets with the
row here; a URL without a row fails the suite. To add a view, add its row to
:data:`SITE` (pages), :data:`API` (``/api/v1/``, Open311, the hotline) or, for a model
registered in the admin, one line to :data:`ADMIN_MODELS` (its change, add, delete and
history pages follow from it); pages of the admin of the admin's own go to
:data:`ADMIN_PAGES`. Running ``DOORS_SHOW=1 pytest -s tests/security/test_every_door.py``
prints what every role gets today.

A row is ``Door(get, post, args=...)``: ``get`` and ``post`` map each role to an answer
class (``post`` is an empty-body POST; ``None`` skips the method). Build them with
:func:`answers`: a default and exceptions by role or by group of roles. ``args`` names
the world's value (``doors_world.World.values``) for each URL argument.

The roles (``doors_world.py``): ``anonymous``; ``constituent``, anonymous too but
presenting the tracking code and last four digits (or the rating link) where a page
asks for them; ``deputy`` (Dora, Xidu) and ``other_deputy`` (Olga, Hengnan); ``handler``
(Dan, Xidu's government) and ``other_handler`` (Frank, Hengnan); ``township_clerk``
(Xidu) and ``other_county_clerk`` (Hengnan); ``superuser``. Every object of the world
lies in Xidu: Dora's, Dan's and the township clerk's; the "other" roles must get a 404
(or 403 where the project says so, e.g. a ballot of another congress) and never the
object.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace

# Answer classes.
OK = "ok"  # 2xx, or a redirect that is not to a sign-in page
LOGIN = "login"  # a redirect to /accounts/login/ or /admin/login/, or 401 (API)
FORBIDDEN = "403"
NOT_FOUND = "404"
NO_METHOD = "405"
INVALID = "invalid"  # 400, 409, 413 or 415: the view ran and refused the (empty) input

ROLES = (
    "anonymous",
    "constituent",
    "deputy",
    "other_deputy",
    "handler",
    "other_handler",
    "township_clerk",
    "other_county_clerk",
    "superuser",
)
GROUPS = {
    "visitors": ("anonymous", "constituent"),
    "deputies": ("deputy", "other_deputy"),
    "handlers": ("handler", "other_handler"),
    "clerks": ("township_clerk", "other_county_clerk"),
    "staff": ("township_clerk", "other_county_clerk", "superuser"),
    "signed_in": ROLES[2:],
    "non_staff": ROLES[:6],
}


def answers(default: str, **exceptions: str) -> dict[str, str]:
    """Every role gets ``default`` except those named (a role or a group of :data:`GROUPS`;
    a role named beats its group)."""
    result = dict.fromkeys(ROLES, default)
    for name, answer in exceptions.items():
        if name in GROUPS:
            result.update(dict.fromkeys(GROUPS[name], answer))
    for name, answer in exceptions.items():
        if name in ROLES:
            result[name] = answer
        elif name not in GROUPS:
            raise ValueError(f"no role or group {name!r}")
    return result


def signed_in(default: str, **exceptions: str) -> dict[str, str]:
    """A page behind a sign-in: visitors are sent to sign in (401 from the API)."""
    return answers(default, visitors=LOGIN, **exceptions)


@dataclass(frozen=True)
class Door:
    get: dict[str, str] | None
    post: dict[str, str] | None
    # URL argument -> name of a value of the world, or a function of the world.
    args: dict[str, str | Callable] = field(default_factory=dict)
    # What the constituent presents here: {"args": {...}, "GET": {...}, "POST": {...}}.
    constituent: dict[str, dict] = field(default_factory=dict)

    def expected(self, method: str, role: str) -> str | None:
        answers_ = self.get if method == "GET" else self.post
        return None if answers_ is None else answers_[role]

    def values(self, world, role: str) -> dict:
        args = dict(self.args)
        if role == "constituent":
            args |= self.constituent.get("args", {})
        return {
            name: source(world) if callable(source) else world.values[source]
            for name, source in args.items()
        }

    def data(self, world, role: str, method: str) -> dict:
        if role != "constituent":
            return {}
        return {key: world.values[value] for key, value in self.constituent.get(method, {}).items()}


PUBLIC = answers(OK)
NOWHERE = answers(NO_METHOD)
# A GET-only page behind a sign-in: POST is refused once signed in.
SIGNED_IN_GET_ONLY = signed_in(NO_METHOD)
# The deputy's own pages: other accounts are refused; a deputy's own objects are a 404
# to another deputy.
DEPUTY_PAGE = signed_in(FORBIDDEN, deputies=OK)
DEPUTY_OBJECT = signed_in(FORBIDDEN, deputy=OK, other_deputy=NOT_FOUND)
HANDLER_PAGE = signed_in(FORBIDDEN, handlers=OK)
HANDLER_OBJECT = signed_in(FORBIDDEN, handler=OK, other_handler=NOT_FOUND)
# Pages and the API for office staff: the other county's clerk gets a 404 for Xidu's.
STAFF_PAGE = signed_in(FORBIDDEN, staff=OK)
STAFF_OBJECT = signed_in(FORBIDDEN, staff=OK, other_county_clerk=NOT_FOUND)

# --- The site's pages --------------------------------------------------------------------------

SITE: dict[str, Door] = {
    "healthz": Door(PUBLIC, NOWHERE),
    "set_language": Door(PUBLIC, PUBLIC),
    "login": Door(PUBLIC, PUBLIC),
    "logout": Door(NOWHERE, PUBLIC),
    "start": Door(signed_in(OK), SIGNED_IN_GET_ONLY),
    "inbox": Door(signed_in(OK), signed_in(INVALID)),
    # Public pages: stations, deputies and their QR codes and posters.
    "stations:home": Door(PUBLIC, NOWHERE),
    "stations:station": Door(PUBLIC, NOWHERE, args={"code": "station"}),
    "stations:station_qr": Door(PUBLIC, NOWHERE, args={"code": "station", "fmt": "qr_format"}),
    "stations:station_poster": Door(PUBLIC, NOWHERE, args={"code": "station"}),
    "stations:deputy": Door(PUBLIC, NOWHERE, args={"code": "deputy_code"}),
    "stations:deputy_qr": Door(PUBLIC, NOWHERE, args={"code": "deputy_code", "fmt": "qr_format"}),
    # The deputy's duties, points and report.
    "stations:my_duties": Door(DEPUTY_PAGE, SIGNED_IN_GET_ONLY),
    "stations:duty_attendance": Door(
        SIGNED_IN_GET_ONLY,
        signed_in(FORBIDDEN, deputy=INVALID, other_deputy=NOT_FOUND),
        args={"duty_id": "duty"},
    ),
    "stations:duty_swap": Door(SIGNED_IN_GET_ONLY, DEPUTY_OBJECT, args={"duty_id": "duty"}),
    # The action is checked before the swap is looked up: an empty POST is a 400 to any deputy.
    "stations:swap_decide": Door(
        SIGNED_IN_GET_ONLY, signed_in(FORBIDDEN, deputies=INVALID), args={"swap_id": "swap"}
    ),
    "stations:my_points": Door(DEPUTY_PAGE, DEPUTY_PAGE),
    "stations:my_report": Door(DEPUTY_PAGE, SIGNED_IN_GET_ONLY, args={"year": "year"}),
    # Evidence and annual reports: the deputy's own, and their region's office.
    "stations:points_evidence": Door(
        signed_in(NOT_FOUND, deputy=OK, township_clerk=OK, superuser=OK),
        SIGNED_IN_GET_ONLY,
        args={"entry_id": "claim"},
    ),
    "stations:deputy_report": Door(
        signed_in(NOT_FOUND, deputy=OK, township_clerk=OK, superuser=OK),
        SIGNED_IN_GET_ONLY,
        args={"deputy_id": "deputy_id", "year": "year"},
    ),
    # Constituents: submitting, the receipt, tracking and rating.
    "suggestions:submit_station": Door(PUBLIC, PUBLIC, args={"code": "station"}),
    "suggestions:submit_deputy": Door(PUBLIC, PUBLIC, args={"code": "deputy_code"}),
    "suggestions:receipt": Door(PUBLIC, NOWHERE),
    "suggestions:track": Door(
        PUBLIC, PUBLIC, constituent={"POST": {"code": "tracking_code", "last4": "last4"}}
    ),
    "suggestions:rate": Door(
        answers(NOT_FOUND, constituent=OK),
        answers(NOT_FOUND, constituent=OK),
        args={"token": "forged_token"},
        constituent={"args": {"token": "rate_token"}},
    ),
    # Department handlers' workspace.
    "suggestions:workspace": Door(HANDLER_PAGE, SIGNED_IN_GET_ONLY),
    "suggestions:work_item": Door(
        HANDLER_OBJECT,
        signed_in(FORBIDDEN, handler=INVALID, other_handler=NOT_FOUND),
        args={"case_id": "opinion"},
    ),
    # The deputy's workspace: opinions addressed to them, suggestions, receptions, ballots.
    "suggestions:deputy_home": Door(DEPUTY_PAGE, SIGNED_IN_GET_ONLY),
    "suggestions:deputy_items": Door(DEPUTY_PAGE, SIGNED_IN_GET_ONLY),
    "suggestions:deputy_item": Door(
        DEPUTY_OBJECT,
        DEPUTY_OBJECT,
        args={"case_id": "addressed"},
    ),
    "suggestions:deputy_suggestions": Door(DEPUTY_PAGE, SIGNED_IN_GET_ONLY),
    "suggestions:deputy_suggestion_new": Door(DEPUTY_PAGE, DEPUTY_PAGE),
    "suggestions:deputy_suggestion": Door(
        DEPUTY_OBJECT,
        signed_in(FORBIDDEN, deputy=INVALID, other_deputy=NOT_FOUND),
        args={"pk": "draft"},
    ),
    "suggestions:receptions": Door(DEPUTY_PAGE, SIGNED_IN_GET_ONLY),
    "suggestions:reception_new": Door(DEPUTY_PAGE, DEPUTY_PAGE),
    "suggestions:reception": Door(DEPUTY_OBJECT, SIGNED_IN_GET_ONLY, args={"pk": "reception"}),
    # Ballots: public pages, and the deputy's (another congress's deputy is refused, 403).
    "votes:cycles": Door(PUBLIC, NOWHERE),
    "votes:cycle": Door(PUBLIC, NOWHERE, args={"pk": "cycle_voting"}),
    "votes:propose": Door(PUBLIC, PUBLIC, args={"pk": "cycle_collecting"}),
    "votes:propose_done": Door(PUBLIC, NOWHERE, args={"pk": "cycle_collecting"}),
    "votes:project": Door(PUBLIC, NOWHERE, args={"pk": "project"}),
    "votes:deputy_ballots": Door(DEPUTY_PAGE, SIGNED_IN_GET_ONLY),
    "votes:ballot": Door(
        DEPUTY_PAGE | {"other_deputy": FORBIDDEN},
        DEPUTY_PAGE | {"other_deputy": FORBIDDEN},
        args={"round_id": "round"},
    ),
    "votes:deputy_propose": Door(
        DEPUTY_PAGE | {"other_deputy": FORBIDDEN},
        DEPUTY_PAGE | {"other_deputy": FORBIDDEN},
        args={"pk": "cycle_collecting"},
    ),
    "votes:deputy_projects": Door(DEPUTY_PAGE, SIGNED_IN_GET_ONLY),
    "votes:inspect": Door(
        DEPUTY_PAGE | {"other_deputy": FORBIDDEN},
        DEPUTY_PAGE | {"other_deputy": FORBIDDEN},
        args={"pk": "project"},
    ),
    # The API's schema and its documentation pages.
    # Two-factor sign-in is for staff: enrolling, backup codes, switching off; the
    # verification step answers any signed-in account (it has nothing to ask them).
    "twofactor_setup": Door(STAFF_PAGE, STAFF_PAGE),
    "twofactor_verify": Door(signed_in(OK), signed_in(OK)),
    "twofactor_backup_codes": Door(SIGNED_IN_GET_ONLY, STAFF_PAGE),
    "twofactor_disable": Door(SIGNED_IN_GET_ONLY, STAFF_PAGE),
    "api_schema": Door(PUBLIC, NOWHERE),
    "api_docs": Door(PUBLIC, NOWHERE),
    "api_redoc": Door(PUBLIC, NOWHERE),
}

# --- The API, Open311 and the hotline --------------------------------------------------------

# Token sign-in for every signed-in role (``Authorization: Token …``); 401 without one.
API_PUBLIC_LIST = Door(PUBLIC, NOWHERE)
API_DEPUTY = signed_in(FORBIDDEN, deputies=OK)
API_DEPUTY_OBJECT = signed_in(FORBIDDEN, deputy=OK, other_deputy=NOT_FOUND)


def api_deputy_action(deputy: str) -> Door:
    """An action on Dora's draft: POST only; Olga gets a 404 for it, Dora ``deputy``."""
    return Door(
        signed_in(FORBIDDEN, deputies=NO_METHOD),
        signed_in(FORBIDDEN, deputy=deputy, other_deputy=NOT_FOUND),
        args={"pk": "draft"},
    )


API: dict[str, Door] = {
    "api_token": Door(NOWHERE, answers(INVALID)),
    "hotline:orders": Door(NOWHERE, answers(LOGIN)),
    "open311:services": Door(PUBLIC, NOWHERE, args={"fmt": "fmt"}),
    # Filing needs an integration's api_key: 403 without one (the GeoReport standard's).
    "open311:requests": Door(PUBLIC, answers(FORBIDDEN), args={"fmt": "fmt"}),
    "open311:request": Door(PUBLIC, NOWHERE, args={"request_id": "opinion", "fmt": "fmt"}),
    "stations_api:stations": API_PUBLIC_LIST,
    "stations_api:station": Door(PUBLIC, NOWHERE, args={"code": "station"}),
    "stations_api:deputies": API_PUBLIC_LIST,
    "stations_api:deputy": Door(PUBLIC, NOWHERE, args={"code": "deputy_code"}),
    "stations_api:own_duties": Door(API_DEPUTY, signed_in(FORBIDDEN, deputies=NO_METHOD)),
    "votes_api:ballots": Door(API_DEPUTY, signed_in(FORBIDDEN, deputies=NO_METHOD)),
    "votes_api:cast": Door(
        signed_in(FORBIDDEN, deputies=NO_METHOD),
        signed_in(FORBIDDEN, deputy=INVALID),
        args={"pk": "cycle_voting"},  # the cycle whose round is open
    ),
    "votes_api:results": Door(PUBLIC, NOWHERE, args={"pk": "cycle_implementing"}),
    "votes_api:cycles": API_PUBLIC_LIST,
    "votes_api:projects": API_PUBLIC_LIST,
    "votes_api:project": Door(PUBLIC, NOWHERE, args={"pk": "project"}),
    "suggestions:api_categories": API_PUBLIC_LIST,
    "suggestions:api_submit": Door(NOWHERE, answers(INVALID)),
    "suggestions:api_track": Door(
        answers(INVALID, constituent=OK),
        NOWHERE,
        constituent={"GET": {"code": "tracking_code", "phone": "last4"}},
    ),
    "suggestions:api_rate": Door(NOWHERE, answers(INVALID)),
    "suggestions:api_receptions": Door(API_DEPUTY, signed_in(FORBIDDEN, deputies=INVALID)),
    "suggestions:api_reception": Door(
        API_DEPUTY_OBJECT, signed_in(FORBIDDEN, deputies=NO_METHOD), args={"pk": "reception"}
    ),
    "suggestions:api_deputy_suggestions": Door(API_DEPUTY, signed_in(FORBIDDEN, deputies=INVALID)),
    "suggestions:api_deputy_suggestion": Door(
        API_DEPUTY_OBJECT, signed_in(FORBIDDEN, deputies=NO_METHOD), args={"pk": "draft"}
    ),
    # Submitting needs no body; inviting, co-signing and rating refuse an empty one.
    "suggestions:api_deputy_suggestion_submit": api_deputy_action(OK),
    "suggestions:api_deputy_suggestion_invite": api_deputy_action(INVALID),
    "suggestions:api_deputy_suggestion_cosign": api_deputy_action(INVALID),
    "suggestions:api_deputy_suggestion_rate": api_deputy_action(INVALID),
    "suggestions:api_work_items": Door(HANDLER_PAGE, signed_in(FORBIDDEN, handlers=NO_METHOD)),
    "suggestions:api_work_item": Door(
        HANDLER_OBJECT, signed_in(FORBIDDEN, handlers=NO_METHOD), args={"case_id": "opinion"}
    ),
    "suggestions:api_work_reply": Door(
        signed_in(FORBIDDEN, handlers=NO_METHOD),
        signed_in(FORBIDDEN, handler=INVALID, other_handler=NOT_FOUND),
        args={"case_id": "opinion"},
    ),
    "suggestions:api_work_return": Door(
        signed_in(FORBIDDEN, handlers=NO_METHOD),
        signed_in(FORBIDDEN, handler=INVALID, other_handler=NOT_FOUND),
        args={"case_id": "opinion"},
    ),
    "suggestions:api_staff_list": Door(STAFF_PAGE, signed_in(FORBIDDEN, staff=NO_METHOD)),
    "suggestions:api_staff_detail": Door(
        STAFF_OBJECT, signed_in(FORBIDDEN, staff=NO_METHOD), args={"pk": "opinion"}
    ),
    "suggestions:api_staff_assign": Door(
        signed_in(FORBIDDEN, staff=NO_METHOD),
        signed_in(
            FORBIDDEN, township_clerk=INVALID, other_county_clerk=NOT_FOUND, superuser=INVALID
        ),
        args={"pk": "opinion"},
    ),
}

# --- The admin ------------------------------------------------------------------------------

# Deputies, handlers and visitors are sent to the admin's sign-in for every admin URL.
ADMIN = answers(OK, non_staff=LOGIN)
ADMIN_OBJECT = answers(OK, non_staff=LOGIN, other_county_clerk=NOT_FOUND)
ADMIN_ONLY = answers(FORBIDDEN, non_staff=LOGIN, superuser=OK)
# A POST-only page of the admin: a GET is refused before anything is looked up.
ADMIN_POST_ONLY = answers(NO_METHOD, non_staff=LOGIN)


@dataclass(frozen=True)
class Office:
    """What office staff may do with one model in the admin: the township clerk with
    the world's object of Xidu; the other county's clerk alike, except that another
    region's object is a 404 to them. The superuser may do everything unless a
    ``superuser_…`` flag says the admin refuses it to everybody."""

    add: bool = True
    change: bool = True
    delete: bool = True
    scoped: bool = True  # rows belong to a region (False: one list for everyone)
    admin_only: bool = False  # accounts and records that cross regions
    superuser_adds: bool = True
    superuser_changes: bool = True
    superuser_deletes: bool = True
    township: bool = True  # False: only county offices and above open it at all


# Records kept by the services: read in the admin, never added, changed or deleted there.
KEPT = Office(
    add=False,
    change=False,
    delete=False,
    superuser_adds=False,
    superuser_changes=False,
    superuser_deletes=False,
)
# The province's lists (categories, result classes) and the national holiday calendar:
# every office reads them, the province's office and administrators keep them.
PROVINCE_LIST = Office(add=False, change=False, delete=False, scoped=False)
MACHINERY = Office(admin_only=True, superuser_adds=False, superuser_changes=False)

ADMIN_MODELS: dict[str, Office] = {
    # Lifting a lockout and resetting someone's two-factor sign-in are deletions.
    "axes.accessattempt": MACHINERY,
    "otp_static.staticdevice": MACHINERY,
    "otp_totp.totpdevice": MACHINERY,
    # Exports and erasures on request are for county offices and above.
    "suggestions.personaldatarequest": replace(KEPT, township=False),
    "auth.group": Office(admin_only=True),
    "authtoken.tokenproxy": Office(admin_only=True),
    "auditlog.logentry": replace(MACHINERY, superuser_deletes=False),
    "liaison.job": Office(add=False, delete=False, superuser_adds=False, superuser_deletes=False),
    "liaison.notification": MACHINERY,
    "liaison.outboxmessage": MACHINERY,
    "liaison.region": Office(delete=False),
    "liaison.user": Office(admin_only=True),
    "liaison.workdayoverride": PROVINCE_LIST,
    "stations.congress": Office(delete=False),
    "stations.deputy": Office(),
    "stations.deputygroup": Office(),
    "stations.dutyswap": replace(KEPT, superuser_changes=True),
    "stations.gradeband": Office(),
    "stations.placement": Office(),
    "stations.pointentry": Office(delete=False),
    "stations.pointrule": Office(),
    # Receptions come from the deputies' ledger; only an administrator deletes one.
    "stations.reception": Office(delete=False),
    "stations.receptionday": Office(),
    "stations.receptionschedule": Office(),
    "stations.station": Office(),
    "suggestions.assignment": KEPT,
    "suggestions.callbackdelivery": KEPT,
    "suggestions.category": PROVINCE_LIST,
    "suggestions.department": Office(),
    "suggestions.deputysuggestion": replace(KEPT, change=True, superuser_changes=True),
    "suggestions.followup": KEPT,
    # Integrations hold keys: an office creates and rotates them, an administrator deletes.
    "suggestions.integration": Office(delete=False),
    "suggestions.personaldataaccess": KEPT,
    "suggestions.reply": KEPT,
    "suggestions.resultclass": PROVINCE_LIST,
    "suggestions.routingrule": Office(),
    "suggestions.suggestion": replace(KEPT, change=True, superuser_changes=True),
    "suggestions.workorder": KEPT,
    # The world's cycle is voting: the admin refuses to delete it, to anybody.
    "votes.ballotcycle": Office(delete=False, superuser_deletes=False),
    "votes.negativelistitem": Office(),
    "votes.project": Office(add=False, delete=False, superuser_adds=False),
    "votes.proposal": Office(delete=False),
    "votes.roundresult": KEPT,
}


def _admin_model_rows(label: str, office: Office) -> dict[str, Door]:
    """The five pages every model admin has, and the bare object address."""
    app_label, model = label.split(".")
    obj = {"object_id": lambda world: world.admin_objects[label].pk}

    def may(township: bool, superuser: bool, *, on_object: bool) -> dict[str, str]:
        clerk = OK if township and not office.admin_only else FORBIDDEN
        other = NOT_FOUND if on_object and office.scoped and not office.admin_only else clerk
        return answers(
            clerk if office.township else FORBIDDEN,
            non_staff=LOGIN,
            other_county_clerk=other,
            superuser=OK if superuser else FORBIDDEN,
        )

    view = may(True, True, on_object=True)
    prefix = f"admin:{app_label}_{model}"
    return {
        f"{prefix}_changelist": Door(may(True, True, on_object=False), None),
        f"{prefix}_add": Door(
            may(office.add, office.superuser_adds, on_object=False),
            may(office.add, office.superuser_adds, on_object=False),
        ),
        f"{prefix}_change": Door(
            view, may(office.change, office.superuser_changes, on_object=True), args=obj
        ),
        f"{prefix}_history": Door(view, None, args=obj),
        f"{prefix}_delete": Door(
            may(office.delete, office.superuser_deletes, on_object=True), None, args=obj
        ),
        # The bare object address redirects to its change page, which then decides.
        f"admin/{app_label}/{model}/<path:object_id>/": Door(ADMIN, None, args=obj),
    }


# The admin's own pages, and pages of the project's own inside the admin.
ADMIN_PAGES: dict[str, Door] = {
    "admin:index": Door(ADMIN, ADMIN),
    "admin:login": Door(PUBLIC, PUBLIC),
    # Signed out (or not staff), the admin's sign-out just goes back to the admin.
    "admin:logout": Door(answers(NO_METHOD, non_staff=OK), PUBLIC),
    "admin:password_change": Door(ADMIN, ADMIN),
    "admin:password_change_done": Door(ADMIN, ADMIN_POST_ONLY),
    # Without its parameters the autocomplete refuses (403), whoever asks.
    "admin:autocomplete": Door(answers(FORBIDDEN, non_staff=LOGIN), ADMIN_POST_ONLY),
    "admin:jsi18n": Door(ADMIN, ADMIN_POST_ONLY),
    "admin:view_on_site": Door(
        ADMIN, ADMIN, args={"content_type_id": "job_content_type", "object_id": "job"}
    ),
    "admin:app_list": Door(ADMIN, ADMIN, args={"app_label": "app_label"}),
    "admin/(?P<url>.*)$": Door(
        answers(NOT_FOUND, non_staff=LOGIN),
        answers(NOT_FOUND, non_staff=LOGIN),
        args={"url": "nowhere"},
    ),
    "admin:task_group": Door(ADMIN, ADMIN, args={"group": "task_group"}),
    "liaison_report": Door(ADMIN, ADMIN),
    "admin:auth_user_password_change": Door(ADMIN_ONLY, ADMIN_ONLY, args={"id": "user_pk"}),
    # A job is its creator's (and the superuser's): the other clerk gets a 404.
    "admin:liaison_job_progress": Door(ADMIN_OBJECT, ADMIN_OBJECT, args={"object_id": "job"}),
    "admin:liaison_job_download": Door(ADMIN_OBJECT, ADMIN_OBJECT, args={"object_id": "job"}),
    "admin:liaison_job_cancel": Door(ADMIN_POST_ONLY, ADMIN_OBJECT, args={"object_id": "job"}),
    # Excel imports and exports: the import's confirmation step is POST only.
    "admin:liaison_region_import": Door(ADMIN, ADMIN),
    "admin:liaison_region_process_import": Door(ADMIN_POST_ONLY, ADMIN),
    "admin:liaison_region_export": Door(ADMIN, ADMIN),
    "admin:stations_deputy_import": Door(ADMIN, ADMIN),
    "admin:stations_deputy_process_import": Door(ADMIN_POST_ONLY, ADMIN),
    "admin:stations_deputy_export": Door(ADMIN, ADMIN),
    "admin:stations_station_import": Door(ADMIN, ADMIN),
    "admin:stations_station_process_import": Door(ADMIN_POST_ONLY, ADMIN),
    "admin:stations_station_export": Door(ADMIN, ADMIN),
    "admin:suggestions_suggestion_export": Door(ADMIN, ADMIN),
    "admin:stations_pointentry_ranking": Door(ADMIN, ADMIN),
    "admin:suggestions_suggestion_reveal_phone": Door(
        ADMIN_OBJECT, ADMIN_OBJECT, args={"object_id": "opinion"}
    ),
    "admin:suggestions_suggestion_reveal_matter": Door(
        ADMIN_OBJECT, ADMIN_OBJECT, args={"matter_id": "matter"}
    ),
    # One person's data exported or erased: county offices and above.
    "admin:suggestions_suggestion_personal_data": Door(
        ADMIN | {"township_clerk": FORBIDDEN}, ADMIN | {"township_clerk": FORBIDDEN}
    ),
    "admin:suggestions_deputysuggestion_report": Door(ADMIN, ADMIN),
    "admin:suggestions_integration_regenerate": Door(
        ADMIN_OBJECT, ADMIN_OBJECT, args={"object_id": "integration"}
    ),
    # A cycle's steps are POST only; without a round, "close the round" goes back.
    "admin:votes_ballotcycle_step": Door(
        ADMIN_POST_ONLY, ADMIN_OBJECT, args={"object_id": "cycle_voting", "step": "step"}
    ),
    "admin:votes_ballotcycle_attendance": Door(
        ADMIN_OBJECT, ADMIN_OBJECT, args={"object_id": "cycle_voting"}
    ),
    "admin:votes_ballotcycle_round": Door(
        ADMIN_OBJECT, ADMIN_OBJECT, args={"object_id": "cycle_voting", "round_id": "round"}
    ),
    "admin:votes_ballotcycle_tally": Door(
        ADMIN_OBJECT, ADMIN_OBJECT, args={"object_id": "cycle_voting", "round_id": "round"}
    ),
    "admin:votes_project_report": Door(ADMIN_OBJECT, ADMIN_OBJECT, args={"object_id": "project"}),
    "admin:votes_project_photo": Door(ADMIN_OBJECT, ADMIN_OBJECT, args={"object_id": "project"}),
    "admin:votes_project_inspection": Door(
        ADMIN_OBJECT, ADMIN_OBJECT, args={"object_id": "project"}
    ),
}


def table() -> dict[str, Door]:
    """Every row: URL name (or route, for a pattern without a name) -> Door."""
    rows: dict[str, Door] = {**SITE, **API, **ADMIN_PAGES}
    for label, office in ADMIN_MODELS.items():
        rows |= _admin_model_rows(label, office)
    return rows
