"""Detectors: one small module per personal-information type of ../shared/contracts/pi-types.md.

Each module holds its spec and source in its docstring, its column-name evidence and a
vectorised value check (see :mod:`.base`). ``DETECTORS`` is in priority order: when two types
claim the same span of free text, the earlier one wins (a valid ID number is not a bank card).
"""

from __future__ import annotations

from eduguard.discovery.detectors import (
    address,
    bank_card,
    biometric,
    birth_date,
    cn_resident_id,
    credential,
    criminal_record,
    device_id,
    disciplinary,
    education_record,
    email,
    ethnicity,
    exam_reg_no,
    family_relation,
    financial,
    gender,
    health,
    household_registration,
    ip_address,
    landline_phone,
    license_plate,
    location,
    mobile_phone,
    org_code,
    passport,
    person_name,
    photo,
    political_status,
    religion,
    social_account,
    special_identity,
    staff_no,
    student_no,
    student_reg_no,
    teacher_cert_no,
    travel_permit,
)
from eduguard.discovery.detectors.base import Detector, NameHit, TextPattern, Values, match_name

DETECTORS: tuple[Detector, ...] = tuple(
    module.DETECTOR
    for module in (
        cn_resident_id,
        student_reg_no,
        org_code,
        bank_card,
        passport,
        travel_permit,
        mobile_phone,
        landline_phone,
        email,
        ip_address,
        device_id,
        license_plate,
        teacher_cert_no,
        exam_reg_no,
        student_no,
        staff_no,
        social_account,
        birth_date,
        person_name,
        address,
        household_registration,
        gender,
        ethnicity,
        religion,
        political_status,
        health,
        biometric,
        financial,
        location,
        family_relation,
        credential,
        photo,
        education_record,
        special_identity,
        disciplinary,
        criminal_record,
    )
)
BY_CODE: dict[str, Detector] = {detector.code: detector for detector in DETECTORS}

__all__ = ["BY_CODE", "DETECTORS", "Detector", "NameHit", "TextPattern", "Values", "match_name"]
