"""The approval mechanism on its own: kinds as data, conditional steps, the state machine and
who sees a request — on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from eduguard.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from eduguard.identity import service as identity_service
from eduguard.identity.models import Role
from eduguard.orgs import service as orgs_service
from eduguard.orgs.models import UnitKind
from eduguard.orgs.schemas import UnitCreate
from eduguard.reviews import flows
from eduguard.reviews.models import ReviewState, StepStatus
from eduguard.reviews.service import Person, load_kind

KIND = load_kind(
    """
name = "collection_review"
label = "采集审查"
watchers = ["supervisor"]

[[steps]]
role = "data_owner"
unit = "owner"
label = "主管单位审查"

[[steps]]
role = "supervisor"
unit = "parent"
label = "上级单位备案"
when = "large"
""",
    "test",
)


def _people(session: Session) -> dict[str, Person]:
    county = orgs_service.create_unit(session, UnitCreate(name="庚县教育局", kind=UnitKind.county))
    school = orgs_service.create_unit(
        session, UnitCreate(name="庚县一中", kind=UnitKind.school, parent_id=county.id)
    )
    other = orgs_service.create_unit(
        session, UnitCreate(name="庚县二中", kind=UnitKind.school, parent_id=county.id)
    )
    session.flush()
    people = {}
    for name, role, unit in (
        ("asker", Role.data_user, school),
        ("owner", Role.data_owner, school),
        ("sup", Role.supervisor, county),
        ("stranger", Role.data_owner, other),
    ):
        user = identity_service.create_user(
            session,
            username=name,
            password="Review-synthetic-Pw-9xK",
            roles={role},
            unit_id=unit.id,
        )
        people[name] = Person(user.id, name, frozenset({role.value}), unit.id, unit.path)
    people["_units"] = Person(None, "", frozenset(), school.id, str(county.id))
    return people


def _create(session: Session, people: dict[str, Person], flags: frozenset[str]) -> object:
    units = people["_units"]
    return flows.create(
        session,
        KIND,
        object_type="collection",
        object_id=1,
        title="新生信息采集表",
        unit_id=units.unit_id or 0,
        requester=people["asker"],
        units={"owner": units.unit_id, "parent": int(units.unit_path)},
        flags=flags,
    )


def test_kinds_are_data_and_bad_data_is_refused() -> None:
    assert [s.label for s in KIND.steps] == ["主管单位审查", "上级单位备案"]
    with pytest.raises(ValidationFailed):
        load_kind('name = "x"\nlabel = "y"\nsteps = []', "empty")
    with pytest.raises(ValidationFailed):
        load_kind('name = "x"\n[[steps]]\nrole = "data_owner"', "missing keys")


def test_a_request_needs_an_applicable_step_and_a_known_unit(session: Session) -> None:
    people = _people(session)
    only_conditional = load_kind(
        'name = "x"\nlabel = "仅条件步骤"\n[[steps]]\nrole = "supervisor"\nunit = "parent"\n'
        'label = "备案"\nwhen = "large"',
        "test",
    )
    units = people["_units"]
    common = {
        "object_type": "collection",
        "object_id": 1,
        "title": "t",
        "unit_id": units.unit_id or 0,
        "requester": people["asker"],
    }
    with pytest.raises(ValidationFailed) as raised:
        flows.create(session, only_conditional, units={"parent": 1}, **common)  # type: ignore[arg-type]
    assert raised.value.code == "review_no_steps"
    with pytest.raises(ValidationFailed) as raised:
        flows.create(session, KIND, units={}, **common)  # type: ignore[arg-type]
    assert raised.value.code == "review_unit_missing"


def test_conditional_steps_states_and_visibility(session: Session) -> None:
    people = _people(session)
    small = _create(session, people, frozenset())
    large = _create(session, people, frozenset({"large"}))
    assert [s.label for s in small.steps] == ["主管单位审查"]  # type: ignore[attr-defined]
    assert len(large.steps) == 2  # type: ignore[attr-defined]
    request = flows.get(session, large.id, people["asker"], KIND)  # type: ignore[attr-defined]
    assert request.state == ReviewState.draft
    with pytest.raises(Conflict):  # a draft awaits no decision
        flows.decide(session, request, KIND, people["owner"], "approve", "同意")
    with pytest.raises(PermissionDenied):  # only the requester submits
        flows.submit(session, request, KIND, people["owner"])
    flows.submit(session, request, KIND, people["asker"])
    assert [s.status for s in request.steps] == [StepStatus.pending, StepStatus.waiting]
    with pytest.raises(PermissionDenied):  # the supervisor's step is not yet due
        flows.decide(session, request, KIND, people["sup"], "approve", "备案")
    with pytest.raises(ValidationFailed):
        flows.decide(session, request, KIND, people["owner"], "maybe", "不确定")
    flows.decide(session, request, KIND, people["owner"], "approve", "采集项目必要")
    assert request.state == ReviewState.submitted and request.current_step == 2
    flows.decide(session, request, KIND, people["sup"], "approve", "已备案")
    assert request.state == ReviewState.approved
    flows.fulfil(session, request, KIND, people["owner"], "已完成采集")
    assert request.state == ReviewState.fulfilled
    assert [d.action.value for d in request.decisions] == [
        "submit",
        "approve",
        "approve",
        "fulfil",
    ]
    # The supervisor (watcher, county) sees both; a stranger at another school sees neither.
    assert len(flows.list_requests(session, people["sup"], KIND)) == 2
    assert flows.list_requests(session, people["stranger"], KIND) == []
    with pytest.raises(NotFound):
        flows.get(session, request.id, people["stranger"], KIND)
    with pytest.raises(Conflict):
        flows.withdraw(session, request, KIND, people["asker"])


def test_a_job_submits_only_the_request_it_opened_and_decides_nothing(session: Session) -> None:
    """A background job (no account, e.g. the daily retention round) opens and submits a
    request under its own name; another job or person cannot, and the job never decides."""
    people = _people(session)
    units = people["_units"]
    job = Person(None, "retention-scheduler", frozenset({"data_owner"}), units.unit_id, "/")
    request = flows.create(
        session,
        KIND,
        object_type="collection",
        object_id=2,
        title="到期数据处置",
        unit_id=units.unit_id or 0,
        requester=job,
        units={"owner": units.unit_id, "parent": int(units.unit_path)},
    )
    for other in (Person(None, "worker", frozenset(), None, "/"), people["asker"]):
        with pytest.raises(PermissionDenied):
            flows.submit(session, request, KIND, other)
    flows.submit(session, request, KIND, job)
    assert request.state == ReviewState.submitted and request.requester_id is None
    with pytest.raises(PermissionDenied):
        flows.decide(session, request, KIND, job, "approve", "自动批准")
    flows.decide(session, request, KIND, people["owner"], "approve", "同意")
    assert request.state == ReviewState.approved
