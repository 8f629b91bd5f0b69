"""EDUCATION_RECORD — 学业记录: scores, rankings, awards and discipline of a person.

Spec (GB/T 35273-2020 Annex A 个人教育工作信息: 成绩单、学历、培训记录; JY/T 1004 学生成绩、
奖惩): a person's marks, GPA, rank, awards and 处分. Marks look like any other numbers, and a
class average or a pass mark is not about a person, so the column's name decides and averages,
full marks and pass lines are excluded.

>>> loose(Values(pl.Series(["95", "87.5", "A", "优秀", "警告处分"]))).to_list()
[True, True, True, True, True]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import Detector, Rule, TextPattern, declare, dictionary

loose = declare(Rule(min_length=1))

# In free text: a score with its subject (数学89分, 英语成绩92分, 总分612分), a rank (年级排名第15名),
# a punishment (GB/T 学生处分: 警告、严重警告、记过、记大过、留校察看、开除学籍; 通报批评). Full marks,
# pass lines and class averages name no subject and are not matched.
SUBJECTS = (
    "语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "政治", "道德与法治", "科学",
    "体育", "音乐", "美术", "信息技术", "总分", "总成绩",
)  # fmt: skip
SCORE = f"(?:{'|'.join(SUBJECTS)})(?:成绩|得分|考试)?[：:为是]?\\s?\\d{{1,3}}(?:\\.\\d{{1,2}})?分"
RANK = r"(?:年级|班级|全班|全年级|全校|专业)(?:排名|排)?第\s?[0-9一二三四五六七八九十百]{1,4}名"
PUNISHMENTS = [
    "严重警告处分", "警告处分", "记大过处分", "记过处分", "留校察看处分", "开除学籍处分",
    "严重警告", "记大过", "记过", "留校察看", "开除学籍", "勒令退学", "通报批评",
]  # fmt: skip


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
    text=(
        TextPattern(SCORE, requires=("分",)),
        TextPattern(RANK, requires=("第",)),
        dictionary(PUNISHMENTS),
    ),
)
