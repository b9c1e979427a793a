"""The 12-digit statistical division code (统计用区划代码) and what follows from it.

A code is read in fixed slices: province (2 digits), city (2), county (2), township (3),
village (3). A region's subtree is every code that starts with its significant digits,
so jurisdiction checks are an indexed ``LIKE 'prefix%'`` on the code.
"""

import re

CODE_RE = re.compile(r"^\d{12}$")

# Number of significant digits of a code at each level.
PREFIX_LENGTH = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}
LEVELS = ("province", "city", "county", "township", "village")


def level_of(code: str) -> str:
    """The level a well-formed code denotes, from the zeros it ends in."""
    if not CODE_RE.match(code or ""):
        raise ValueError(code)
    if code[2:] == "0" * 10:
        return "province"
    if code[4:] == "0" * 8:
        return "city"
    if code[6:] == "0" * 6:
        return "county"
    if code[9:] == "000":
        return "township"
    return "village"


def prefix_of(code: str) -> str:
    """The significant digits of a code: what every code in its subtree starts with."""
    return code[: PREFIX_LENGTH[level_of(code)]]


def parent_code_of(code: str) -> str | None:
    """The code of the region one level up, or None for a province."""
    level = level_of(code)
    index = LEVELS.index(level)
    if index == 0:
        return None
    parent_len = PREFIX_LENGTH[LEVELS[index - 1]]
    return code[:parent_len].ljust(12, "0")


def ancestors_of(code: str) -> list[str]:
    """The code itself and every code above it, nearest first."""
    chain = [code]
    while parent := parent_code_of(chain[-1]):
        chain.append(parent)
    return chain
