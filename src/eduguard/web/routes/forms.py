"""Turn a submitted console form into a validated schema, or field errors in Chinese."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from eduguard.validation import validation_details

Model = TypeVar("Model", bound=BaseModel)

LIST_FIELDS = frozenset({"user_unit_ids", "roles"})
FIELD_LABELS = {
    "name": "名称",
    "scan_every_days": "定期扫描间隔（天）",
    "note": "处理说明",
    "kind": "类型",
    "code": "统一社会信用代码",
    "parent_id": "上级单位",
    "unit_id": "所属单位",
    "url": "网址",
    "mlps_level": "等保级别",
    "pi_subject_count": "个人信息主体数量",
    "owner_unit_id": "主管单位",
    "operator_unit_id": "运营单位",
    "provider": "服务商",
    "valid_from": "有效期自",
    "valid_until": "有效期至",
    "purpose": "用途",
    "username": "用户名",
    "password": "密码",
    "roles": "角色",
}


def form_values(form: FormData, fields: set[str]) -> dict[str, Any]:
    """Only the schema's fields; blank inputs count as not given."""
    values: dict[str, Any] = {}
    for key in fields:
        if key in LIST_FIELDS:
            values[key] = [v for v in form.getlist(key) if isinstance(v, str) and v.strip()]
            continue
        raw = form.get(key)
        if isinstance(raw, UploadFile) or raw is None:
            continue
        if raw.strip():
            values[key] = raw
    return values


def parse(model: type[Model], form: FormData, lang: str) -> tuple[Model | None, list[str]]:
    data = form_values(form, set(model.model_fields))
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        messages = []
        for detail in validation_details(exc.errors(), lang):
            label = FIELD_LABELS.get(detail["field"], detail["field"])
            messages.append(f"{label}：{detail['message']}" if label else detail["message"])
        return None, messages
