"""Throughput of the one task queue (``eduguard.tasks``): N no-op tasks enqueued in one
transaction, then drained by 1 and by 2 workers (threads, each its own connections), on
SQLite and PostgreSQL side by side, with the ratios.

    .venv/bin/python bench/tasks_queue.py               # 2000 tasks per run
    .venv/bin/python bench/tasks_queue.py --tasks 500 --backends sqlite

Each task is claim (a short transaction) + handler (no work) + settle (another): what is
measured is the queue's own cost per task. Printed: tasks/s per backend and worker count, and
that every task ran exactly once.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from eduguard.config import Settings
from eduguard.db import migrate
from eduguard.db.engine import make_engine, make_session_factory
from eduguard.tasks import runner, service
from eduguard.tasks.models import Task, TaskStatus
from eduguard.tasks.runner import Handler

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def run(url: str, tasks: int, workers: int) -> tuple[float, int]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        session.execute(Task.__table__.delete())
        for number in range(tasks):
            service.enqueue(session, "bench.noop", {"object_id": number + 1})
    handlers = {"bench.noop": Handler("bench.noop", lambda context: None)}
    settings = Settings(database_url=url, demo=True)

    def work(name: str) -> None:
        while runner.run_next(factory, handlers, settings, name) is not None:
            pass

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with factory() as session:
        once = session.scalar(
            select(func.count()).where(Task.status == TaskStatus.succeeded, Task.attempts == 1)
        )
    engine.dispose()
    return tasks / elapsed, once or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    options = parser.parse_args()
    rates: dict[tuple[str, int], float] = {}
    with tempfile.TemporaryDirectory() as home:
        urls = {}
        schema = f"eg_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG, isolation_level="AUTOCOMMIT")
        for backend in options.backends.split(","):
            if backend == "sqlite":
                urls[backend] = f"sqlite:///{Path(home) / 'bench.db'}"
            else:
                with admin.connect() as connection:
                    connection.execute(text(f'CREATE SCHEMA "{schema}"'))
                urls[backend] = f"{PG}?options=-csearch_path%3D{schema}"
            engine = make_engine(urls[backend])
            migrate.upgrade(engine)
            engine.dispose()
        try:
            for backend, url in urls.items():
                for workers in (1, 2):
                    rate, once = run(url, options.tasks, workers)
                    rates[backend, workers] = rate
                    print(
                        f"{backend:10} workers={workers}  {rate:8.0f} tasks/s  "
                        f"ran exactly once: {once}/{options.tasks}"
                    )
        finally:
            if "postgresql" in urls:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    for workers in (1, 2):
        if ("sqlite", workers) in rates and ("postgresql", workers) in rates:
            ratio = rates["postgresql", workers] / rates["sqlite", workers]
            print(f"workers={workers}: PostgreSQL / SQLite = {ratio:.2f}")
    for backend in urls:
        if (backend, 1) in rates and (backend, 2) in rates:
            print(f"{backend}: 2 workers / 1 worker = {rates[backend, 2] / rates[backend, 1]:.2f}")


if __name__ == "__main__":
    main()
