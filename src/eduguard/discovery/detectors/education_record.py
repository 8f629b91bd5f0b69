"""EDUCATION_RECORD — 学业记录: scores, rankings, awards and discipline of a person.

Spec (GB/T 35273-2020 Annex A 个人教育工作信息: 成绩单、学历、培训记录; JY/T 1004 学生成绩、
奖惩): a person's marks, GPA, rank, awards and 处分. Marks look like any other numbers, and a
class average or a pass mark is not about a person, so the column's name decides and averages,
full marks and pass lines are excluded.

>>> loose(Values(pl.Series(["95", "87.5", "A", "优秀", "警告处分"]))).to_list()
[True, True, True, True, True]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector, Rule, declare

loose = declare(Rule(min_length=1))


DETECTOR = Detector(
    code="EDUCATION_RECORD",
    label="学业记录",
    name_tokens={
        "cj": "成绩",
        "zcj": "总成绩",
        "kscj": "考试成绩",
        "qmcj": "期末成绩",
        "qzcj": "期中成绩",
        "zf": "总分",
        "fs": "分数",
        "df": "得分",
        "pm": "排名",
        "bjpm": "班级排名",
        "njpm": "年级排名",
        "jd": "绩点",
        "jcqk": "奖惩情况",
        "jlqk": "奖励情况",
        "cfqk": "处分情况",
        "cf": "处分",
        "wjjl": "违纪记录",
        "hjqk": "获奖情况",
        "pyjy": "评语",
        "score": "成绩",
        "scores": "成绩",
        "mark": "分数",
        "marks": "分数",
        "gpa": "绩点",
        "rank": "排名",
        "ranking": "排名",
        "award": "获奖",
        "awards": "获奖",
        "punishment": "处分",
        "discipline": "纪律处分",
        "transcript": "成绩单",
    },
    name_phrases=("score", "gpa", "ranking", "transcript", "punishment", "discipline", "award"),
    keywords_zh=(
        "成绩",
        "分数",
        "得分",
        "排名",
        "名次",
        "奖惩",
        "处分",
        "违纪",
        "获奖",
        "学业",
        "绩点",
        "评语",
        "总分",
    ),
    exclude=(
        "平均",
        "avg",
        "average",
        "mean",
        "满分",
        "及格",
        "fullmark",
        "maxscore",
        "passline",
        "pjf",
        "jgx",
        "mf",
        "总人数",
        "title",
        "职称",
        "职级",
    ),
    loose_check=loose,
    loose_label="有取值",
    name_needs_values=False,
)
