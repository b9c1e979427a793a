from tests.api.fixtures import (  # noqa: F401  (fixtures)
    _fresh_rate_limits,
    api_deputy,
    county_congress,
    project,
    station,
)
