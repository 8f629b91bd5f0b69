from collections.abc import Sequence

_Result = tuple[int, int | None, str | None, int | None, str | None, bool]

def scan_sqlite(
    path: str,
    sql: str,
    keys: Sequence[str],
    kinds: str,
    after: int,
    upto: int,
    expected: int,
    previous: str | None,
    signed: Sequence[tuple[int, str]],
    /,
) -> _Result: ...
def sm3_hex(data: bytes, /) -> str: ...
def sqlite_address() -> int: ...
