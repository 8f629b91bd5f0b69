"""LOCATION — 行踪轨迹/精准定位 (sensitive, PIPL Art. 28; GB/T 45574-2025 §6.6).

Spec: GPS coordinates (decimal degrees with ≥ 4 decimals, China roughly latitude 3.8–53.6,
longitude 73.5–135.1, either order), check-in trails and dormitory/gate access logs. A single
coordinate column (纬度 or 经度 alone) needs its name; coordinate pairs label a column on values.

>>> check(Values(pl.Series(["39.9042,116.4074", "116.4074, 39.9042", "1.5,2.5", "北京"]))).to_list()
[True, True, False, False]
"""

from __future__ import annotations

import polars as pl

from eduguard.discovery.detectors.base import Detector, Rule, TextPattern, Values, declare

PAIR = r"^\(?\s*(-?\d{1,3}\.\d{4,})\s*[,，\s]\s*(-?\d{1,3}\.\d{4,})\s*\)?$"


def _in_china(values: Values) -> pl.Series:
    """Of the coordinate pairs: latitude and longitude within China (either order)."""
    parts = values.raw.str.extract_groups(PAIR)
    frame = pl.DataFrame({"p": parts}).select(
        a=pl.col("p").struct.field("1").cast(pl.Float64, strict=False),
        b=pl.col("p").struct.field("2").cast(pl.Float64, strict=False),
    )

    def in_china(lat: pl.Expr, lon: pl.Expr) -> pl.Expr:
        return lat.is_between(3.8, 53.6) & lon.is_between(73.5, 135.1)

    ok = in_china(pl.col("a"), pl.col("b")) | in_china(pl.col("b"), pl.col("a"))
    return frame.select(ok.fill_null(False)).to_series()


IN_CHINA = Rule(PAIR, refine=_in_china)
check = declare(IN_CHINA)
loose = declare(IN_CHINA, Rule(r"^-?\d{1,3}\.\d{4,}$"), Rule(min_length=2))


DETECTOR = Detector(
    code="LOCATION",
    label="行踪轨迹/精准定位",
    name_tokens={
        "jwd": "经纬度",
        "gps": "GPS",
        "gpszb": "GPS 坐标",
        "dkdd": "打卡地点",
        "dkwz": "打卡位置",
        "dwxx": "定位信息",
        "mjjl": "门禁记录",
        "crjl": "出入记录",
        "guiji": "轨迹",
        "dingwei": "定位",
        "latitude": "纬度",
        "longitude": "经度",
        "lat": "纬度",
        "lng": "经度",
        "lon": "经度",
        "geo": "地理位置",
        "geolocation": "地理位置",
        "location": "位置",
        "trajectory": "轨迹",
        "checkin": "打卡",
        "coordinates": "坐标",
    },
    name_phrases=("latitude", "longitude", "geoloc", "trajectory", "gpscoord"),
    keywords_zh=("经纬度", "经度", "纬度", "定位", "轨迹", "打卡", "门禁", "行踪", "出入记录"),
    exclude=(
        "职位",
        "岗位",
        "存放位置",
        "storagelocation",
        "cfdd",
        "存放地点",
        "hukou",
        "huji",
        "户口",
        "户籍",
        "出生地",
        "birthplace",
        "籍贯",
        "native",
    ),
    value_check=check,
    value_label="为境内经纬度坐标",
    loose_check=loose,
    loose_label="为位置/坐标取值",
    value_alone=0.8,
    hint=r"\d\.\d{4}",
    name_needs_values=False,
    text=(
        TextPattern(
            r"(?-u:\b)(?:[1-5]?\d\.\d{4,}\s*[,，]\s*1[0-3]\d\.\d{4,}|1[0-3]\d\.\d{4,}\s*[,，]\s*[1-5]?\d\.\d{4,})(?-u:\b)",
            requires=(".",),
            group="identifiers",
        ),
    ),
)
