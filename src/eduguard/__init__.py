"""eduguard — 教育数据安全治理平台 (education data security governance platform)."""

__version__ = "0.1.0"
