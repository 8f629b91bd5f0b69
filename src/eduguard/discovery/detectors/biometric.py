"""BIOMETRIC — 生物识别信息 (sensitive, PIPL Art. 28).

Spec (GB/T 35273-2020 Annex B; GB/T 45574-2025 §6.1): face-recognition features, fingerprints,
voiceprints, palm prints, iris, gene data. Stored values are opaque (base64 or hex templates,
float vectors), so the column's name or comment decides; values that look like templates add
confidence.

>>> loose(Values(pl.Series(["[0.12, -0.5, 0.33, 0.9]", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "张三"]))).to_list()
[True, True, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector, Rule, declare

TEMPLATE = r"^(?:\[?\s*-?\d+\.\d+(?:\s*,\s*-?\d+\.\d+){3,}.*|[A-Za-z0-9+/=]{32,}|[0-9a-fA-F]{32,})$"


loose = declare(Rule(TEMPLATE))


DETECTOR = Detector(
    code="BIOMETRIC",
    label="生物识别",
    name_tokens={
        "rltz": "人脸特征",
        "rltzm": "人脸特征码",
        "rlsb": "人脸识别",
        "rlmb": "人脸模板",
        "zwtz": "指纹特征",
        "zwmb": "指纹模板",
        "zhiwen": "指纹",
        "swtz": "声纹特征",
        "hmtz": "虹膜特征",
        "fingerprint": "指纹",
        "faceid": "人脸",
        "facefeature": "人脸特征",
        "faceembedding": "人脸特征向量",
        "facetemplate": "人脸模板",
        "facetoken": "人脸标识",
        "voiceprint": "声纹",
        "iris": "虹膜",
        "biometric": "生物识别",
        "biometrics": "生物识别",
    },
    name_phrases=(
        "fingerprint",
        "facefeature",
        "faceembedding",
        "facetemplate",
        "voiceprint",
        "biometric",
        "faceencoding",
    ),
    keywords_zh=(
        "人脸特征",
        "人脸识别",
        "人脸模板",
        "指纹",
        "声纹",
        "虹膜",
        "掌纹",
        "面部特征",
        "生物特征",
        "生物识别",
        "基因",
    ),
    loose_check=loose,
    loose_label="为特征模板/向量",
    name_needs_values=False,
)
