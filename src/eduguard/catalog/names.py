"""When a name someone planned and a catalog field are the same data item: the one rule the
collection review (its CI check, drift, the register write) and the processing register's
expected catalog share.

>>> same_item(["身份证号"], ["xs_sfzjh", "身份证号"])
True
>>> same_item(["ID-Card"], ["id_card"]), same_item(["手机号"], ["家长手机号"])
(True, False)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SEPARATORS = re.compile(r"[\s_\-./·（）()]+")


def normalised(name: str) -> str:
    """A name compared without case, spaces and separators."""
    return _SEPARATORS.sub("", name).lower()


def same_item(names: Iterable[str | None], others: Iterable[str | None]) -> bool:
    """Whether one of ``names`` (a planned item's name and label) equals one of ``others`` (a
    catalog field's name and comment), compared as :func:`normalised` does."""
    wanted = {normalised(n) for n in others if n}
    return any(normalised(n) in wanted for n in names if n)
