from collections.abc import Sequence

_Result = tuple[int, int | None, str | None, int | None, str | None, bool]

def scan_postgres(
    conninfo: str,
    copy_sql: str,
    keys: Sequence[str],
    kinds: str,
    expected: int,
    previous: str | None,
    signed: Sequence[tuple[int, str]],
    /,
) -> _Result: ...
def sm3_hex(data: bytes, /) -> str: ...
