"""Suggestions' models: the handling machinery and constituent opinions (base), the
reception ledger's matters, formal deputy suggestions, the outside systems (12345
hotline, Open311) that file items (integrations), and the personal-data logs (privacy)."""

from suggestions.models.base import (  # noqa: F401
    CONTENT_MAX,
    PHONE_RE,
    TRACKING_ALPHABET,
    TRACKING_LENGTH,
    TRANSITIONS,
    Assignment,
    Case,
    Category,
    DeadlineNotice,
    Department,
    Event,
    EventQuerySet,
    FollowUp,
    InvalidTransition,
    Photo,
    Reply,
    RoutingRule,
    Suggestion,
    mask_name,
    mask_phone,
    new_tracking_code,
    phone_validator,
    photo_path,
    validate_not_markup,
)
from suggestions.models.deputy import *  # noqa: F403
from suggestions.models.integrations import *  # noqa: F403
from suggestions.models.privacy import *  # noqa: F403
from suggestions.models.receptions import *  # noqa: F403
