"""PHOTO — 照片: portrait photos (sensitive as biometric material, PIPL Art. 28; GB/T 45574).

Spec: a portrait is stored as a file path or URL (.jpg/.png …), a ``data:image`` URI, base64 or
binary. Images are everywhere (logos, course covers), so the column's name decides (ZP 照片,
photo, avatar, 头像, 人像); image-shaped values confirm it.

>>> loose(Values(pl.Series(["/photos/2023/001.jpg", "https://img.example/a.png?x=1", "data:image/png;base64,iVBOR", "张三"]))).to_list()
[True, True, True, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector, Rule, any_case, declare

_SUFFIXES = ("jpg", "jpeg", "png", "bmp", "gif", "webp", "heic", "tif", "tiff")
IMAGE = (
    rf"\.(?:{'|'.join(any_case(suffix) for suffix in _SUFFIXES)})(?:\?.*)?$"
    rf"|^{any_case('data:image/')}|^[A-Za-z0-9+/]{{100,}}={{0,2}}$"
    rf"|^(?:{any_case('https')}?://|/|[A-Za-z]:\\)"
)


loose = declare(Rule(IMAGE))


DETECTOR = Detector(
    code="PHOTO",
    label="照片",
    name_tokens={
        "zp": "照片",
        "zpdz": "照片地址",
        "zplj": "照片路径",
        "rxzp": "人像照片",
        "zjz": "证件照",
        "sfzzp": "身份证照片",
        "photo": "照片",
        "photourl": "照片地址",
        "photopath": "照片路径",
        "avatar": "头像",
        "headimg": "头像",
        "headimgurl": "头像地址",
        "portrait": "人像",
        "faceimage": "人脸照片",
        "faceimg": "人脸照片",
        "touxiang": "头像",
    },
    name_phrases=("photo", "avatar", "headimg", "portrait", "faceimage", "faceimg", "touxiang"),
    keywords_zh=("照片", "头像", "相片", "人像", "证件照", "人脸照"),
    loose_check=loose,
    loose_label="为图片路径/数据",
    name_needs_values=False,
)
