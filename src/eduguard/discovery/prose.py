"""Chinese person names inside sentences: surnames, jieba's word boundaries and context cues.

A name is a surname (data/surnames.txt, compound ones first) and one or two given-name
characters. At each surname in the text both lengths are weighed:

* the right edge: end of text, punctuation, a form of address or a cue word after it
  (同学、老师、的、和、谈话、同住 …) is strong; a jieba word boundary followed by a dictionary
  word is weak; an edge inside a jieba word is none;
* the left edge: start of text, punctuation, a cue before it (与、联系、约谈、母亲、车主 …) or a
  jieba word boundary;
* a candidate that is itself an ordinary dictionary word (高度、周末、申请人) is no name unless
  the dictionary tags it as one; a surname followed by a title (张老师) is a title, not a name.

The longer candidate wins ties unless jieba cuts it; the stronger right edge wins otherwise.

>>> find_names("与王晓雨同学谈话后联系其母亲陈静。")
[(1, 4), (14, 16)]
>>> find_names("请各班高度重视，周末前完成。")
[]
"""

from __future__ import annotations

import re

from eduguard.discovery.detectors.base import read_lines
from eduguard.discovery.detectors.person_name import COMMON_WORDS
from eduguard.discovery.segmenter import Token, segmenter

_SURNAMES = {word for line in read_lines("surnames.txt") for word in line.split()}
COMPOUND = frozenset(word for word in _SURNAMES if len(word) == 2)
SINGLE = frozenset(word for word in _SURNAMES if len(word) == 1)
# the most frequent surnames: the others (rarer, and often ordinary characters) need a cue
FREQUENT = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁"
    "任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向汤"
)
# surnames that are also prepositions/adverbs, and what follows them then
FUNCTION_SURNAMES = frozenset("于曾向从经和同")
FUNCTION_FOLLOWERS = (
    "上午", "下午", "上月", "下月", "上周", "下周", "本周", "本月", "本学期", "次日", "近期", "近日",
    "当天", "当日", "每天", "今天", "今日", "明天", "明日", "昨天", "昨日", "周", "星期", "因", "此",
    "是", "在", "也", "已", "经", "将", "会", "被", "对", "前", "后", "受", "获", "多", "有", "任", "0", "1", "2", "3", "4", "5",
    "6", "7", "8", "9", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
)  # fmt: skip
# what other spans (numbers, addresses …) are blanked to before names are looked for
BLANK = "\x00"
PUNCTUATION = frozenset("，。；！？、,.;!?：:（）()“”\"'《》【】[] \t\n\u3000@…—-~～/|")
# never in a given name: particles and function characters
NEVER_GIVEN = frozenset(
    "两几的了是在和与及着过吗呢吧啊呀也都就被把让给对从向往于而或又还再很太最已曾将要会能可"
)
TITLES = (
    "同学", "老师", "家长", "先生", "女士", "校长", "主任", "书记", "院长", "教授", "医生", "阿姨",
    "叔叔", "师傅", "同志", "总", "经理", "处长", "科长", "部长", "队长", "班长", "老",
)  # fmt: skip
RIGHT_CUES = (
    *TITLES, "的", "和", "与", "及", "、", "因", "在", "于", "是", "系", "为", "等", "也", "已", "将",
    "被", "把", "对", "向", "给", "说", "称", "讲", "问", "聊", "今天", "今日", "昨天", "昨日", "明天", "明日", "上课", "上周", "本周", "本学期",
    "近期", "近日", "最近", "平时", "谈话", "谈心", "沟通", "同住", "表示", "反映", "承认", "发生",
    "请假", "代为", "家住", "现住", "住在", "家里", "家中", "同学", "主动", "希望", "觉得", "认为",
    "同意", "答应", "近来", "今早", "今晚", "昨晚", "早上", "晚上", "上午", "下午", "中午", "获得", "获评", "帮忙", "补考", "未经", "擅自", "私自", "经常", "一直", "两人", "三位", "本人", "之父", "之母",
    "父亲", "母亲", "妈妈", "爸爸", "来电", "到校", "陪同", "申请", "违反", "多次", "曾", "未",
    "没", "不", "两次", "获", "有", "（", "(",
)  # fmt: skip
RELATIONS = tuple(
    word for word in read_lines("family_relations.txt") if word not in ("本人", "兄弟", "姐妹")
)
# a role named before a name: strong enough to take even an ordinary word (车主王国)
ROLE_CUES = (
    *RELATIONS, "学生", "同学", "家长", "老师", "教师", "辅导员", "班主任", "联系人", "车主",
    "申请人", "本人", "谈话人", "谈话对象", "对象", "名单", "驾驶员", "班长", "校医", "@",
)  # fmt: skip
LEFT_CUES = (
    *ROLE_CUES, "与", "和", "及", "同", "跟", "联系", "约谈", "通知", "告知", "致电", "家访", "走访",
    "见到", "系", "由", "请", "给予", "撤销", "其", "是", "叫", "为", "推荐", "关注", "帮", "让",
    "带", "接", "我", "发现", "找", "问", "转告", "提醒", "批评", "表扬", "恭喜", "感谢", "谢谢",
    "祝贺", "奖励", "安排", "叫做", "名叫", "组长", "室友", "舍友", "同桌", "时",
)  # fmt: skip
COMMON = frozenset(COMMON_WORDS) | {
    "谢谢",
    "申请人",
    "及时",
    "周到",
    "万分",
    "应急",
    "关键",
    "高兴",
}


LONG_RIGHT_CUES = tuple(cue for cue in RIGHT_CUES if len(cue) >= 2 and cue not in TITLES)


class _Words:
    """A word list looked up by length: is a word of it at (or ending at) a position."""

    def __init__(self, words: tuple[str, ...] | frozenset[str]) -> None:
        self.words = frozenset(words)
        self.lengths = sorted({len(word) for word in self.words}, reverse=True)
        # one C-level match instead of a slice and a set look-up per length
        ordered = sorted(self.words, key=len, reverse=True)
        self._at = re.compile("|".join(re.escape(word) for word in ordered)).match

    def starts(self, text: str, at: int) -> bool:
        return self._at(text, at) is not None

    def ends(self, text: str, at: int, min_length: int = 1) -> bool:
        return any(
            size <= at and text[at - size : at] in self.words
            for size in self.lengths
            if size >= min_length
        )


def _starts_with(text: str, at: int, words: _Words) -> bool:
    return words.starts(text, at)


_LEFT, _ROLE = _Words(LEFT_CUES), _Words(ROLE_CUES)
_RIGHT, _LONG_RIGHT, _TITLES = _Words(RIGHT_CUES), _Words(LONG_RIGHT_CUES), _Words(TITLES)
_FOLLOWERS = _Words(FUNCTION_FOLLOWERS)


class _Context:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.starts = {token.start: token for token in tokens}
        self.ends = {token.end: token for token in tokens}
        self.words = words = segmenter()
        # the dictionary word of two or more characters covering each position
        self.inside = {
            at: token
            for token in tokens
            if token.end - token.start > 1 and words.is_word(token.word)
            for at in range(token.start + 1, token.end)
        }

    def cue_before(self, start: int, cues: _Words) -> bool:
        """A cue word ends at ``start`` as a word of its own (自由|文本: 由 is no cue there)."""
        token = self.ends.get(start)
        if token is None:  # no word ends here: read the characters
            return cues.ends(self.text, start)
        word = token.word
        return word in cues.words or cues.ends(word, len(word), min_length=2)

    def made_of_names(self, start: int, surname: str) -> bool:
        """The word jieba starts at the surname is the surname, a name or a lone character.

        Not an ordinary word of two or more characters (文本列 = 文本 + 列); a given name may be
        a word (方|海波), and the compound surname is one (欧阳|英雅).
        """
        token = self.starts.get(start)
        if token is None or len(token.word) == 1 or token.word == surname:
            return True
        return not self.words.is_word(token.word) or token.word in self.words.name_words

    def boundary(self, at: int) -> bool:
        return at in self.starts or at in self.ends or at in (0, len(self.text))

    def right(self, end: int) -> int:
        """How surely a name ends at ``end``: 2 sure, 1 plausible, 0 not."""
        text = self.text
        if end < len(text) and text[end] == BLANK:
            return 1
        if end >= len(text) or text[end] in PUNCTUATION or _starts_with(text, end, _RIGHT):
            return 2
        if end in self.starts:
            following = self.starts[end]
            if len(following.word) >= 2 and self.words.is_word(following.word):
                return 1
        return 0

    def left(self, start: int) -> int:
        text = self.text
        if start in self.inside and not _LEFT.ends(text, start, min_length=2):
            return 0  # the surname ends or is inside a dictionary word: 及时, 同时 (not 教师|范)
        if start > 0 and text[start - 1] == BLANK:
            return 1
        if start == 0 or text[start - 1] in PUNCTUATION or self.cue_before(start, _LEFT):
            return 2
        # a jieba word (or a lone character) starts here: plausible
        return 1


def _candidate(context: _Context, start: int, surname: str) -> tuple[int, int] | None:
    text = context.text
    given_at = start + len(surname)
    if surname in FUNCTION_SURNAMES and _starts_with(text, given_at, _FOLLOWERS):
        return None  # 于上月, 曾因, 于3月: a preposition or adverb, not a surname
    if _starts_with(text, given_at, _LONG_RIGHT):
        return None  # 林上周: what follows the surname character is a cue word, not a given name
    if _starts_with(text, given_at, _TITLES) or text[start : start + 2] in COMMON:
        return None  # 张老师 is a title; 申请人, 谢谢 are words
    left = context.left(start)
    if left == 0:
        return None
    role = context.cue_before(start, _ROLE) or (
        text[start - 1 : start] in ("：", ":") and context.cue_before(start - 1, _ROLE)
    )
    best: tuple[int, int] | None = None  # (score, end)
    for size in (1, 2):
        end = given_at + size
        given = text[given_at:end]
        if end > len(text) or not all(
            "\u4e00" <= c <= "\u9fff" and c not in NEVER_GIVEN for c in given
        ):
            break
        name = text[start:end]
        right = context.right(end)
        if right == 0 or name in COMMON or end in context.inside:
            continue  # no edge, a word, or the name would end inside a word (杨萱关|系)
        known = name in context.words.name_words or name in context.words.place_words
        if context.words.is_word(name) and not (role or (known and left == 2 and right == 2)):
            continue  # an ordinary word (高度, 周末, 麻烦) unless a role names it
        score = right * 2 - (0 if context.boundary(end) else 1)
        if size == 2 and context.right(end - 1) == 2:
            score -= 2  # 许宏说: the shorter name already ends at a cue
        if best is None or score >= best[0]:
            best = (score, end)
    if best is None:
        return None
    score, end = best
    rare = surname in SINGLE and surname not in FREQUENT
    cue = role or context.cue_before(start, _LEFT)
    if not cue and not context.made_of_names(start, surname):
        return None  # only punctuation or a word boundary before ordinary words: 文本列
    if left == 2 and score >= 2 and not (rare and score < 3):
        return start, end
    # no cue before it, only a word boundary: a sure right edge, or no dictionary word (本周陈超表现)
    weak_ok = score >= 3 or (score == 2 and not context.words.is_word(text[start:end]))
    if left == 1 and not rare and weak_ok:
        return start, end
    return None


_FIRST = SINGLE | {word[0] for word in COMPOUND}
_CLAUSE = re.compile(r"[^，。；！？、,.;!?：:（）()\s\x00]+")


def _clause_tokens(text: str) -> list[Token]:
    """jieba's words of the clauses that hold a surname character (the others need none)."""
    words = segmenter()
    tokens: list[Token] = []
    for clause in _CLAUSE.finditer(text):
        part = clause.group()
        if _FIRST.isdisjoint(part):
            continue
        offset = clause.start()
        if offset == 0:
            tokens += words.tokens(part)
        else:
            tokens += [
                Token(w, start + offset, end + offset) for w, start, end in words.tokens(part)
            ]
    return tokens


# where a surname may start (every compound surname starts with one of these characters)
_NEXT_SURNAME = re.compile("[" + "".join(sorted(re.escape(char) for char in _FIRST)) + "]").search


def find_names(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each person name in ``text``, left to right, without overlaps."""
    if not text or (first := _NEXT_SURNAME(text)) is None:
        return []
    context = _Context(text, _clause_tokens(text))
    found: list[tuple[int, int]] = []
    at = first.start()
    while True:
        pair = text[at : at + 2]
        surnames = [pair] if pair in COMPOUND else []
        if text[at] in SINGLE:
            surnames.append(text[at])
        hit = None
        for surname in surnames:
            hit = _candidate(context, at, surname)
            if hit is not None:
                break
        if hit is not None:
            found.append(hit)
            at = hit[1]
        else:
            at += 1
        following = _NEXT_SURNAME(text, at)
        if following is None:
            return found
        at = following.start()
