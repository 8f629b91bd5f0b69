"""The columns of the labelled corpus: what each holds, how it is named, how values are made.

All values are synthetic (see corpus.py): Faker zh_CN names, ID numbers on real area codes with
computed check digits, e-mail under ``.example`` domains.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker
from stdnum import luhn
from stdnum.iso7064 import mod_11_2

EMAIL_DOMAINS = ("school.example", "mail.example", "edu.example", "home.example")
STREETS = (
    "人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "文化路", "胜利路", "青年路",
    "朝阳路", "长江路", "黄河路", "学府路", "科技路", "光明街", "东风街", "幸福大道", "滨江大道",
)  # fmt: skip
ESTATES = ("阳光小区", "幸福家园", "金色花园", "翠苑", "锦绣公寓", "和谐新村")
HEALTH_WORDS = ("哮喘", "青霉素过敏", "近视", "先天性心脏病", "癫痫", "糖尿病", "抑郁症", "贫血")
ETHNIC = ["汉族"] * 18 + ["回族", "壮族", "满族", "蒙古族", "维吾尔族", "苗族", "土家族", "藏族"]
RELIGIONS = ["无宗教信仰"] * 12 + ["佛教", "伊斯兰教", "基督教", "天主教", "道教"]
POLITICAL_STUDENT = ["共青团员"] * 5 + ["群众"] * 4 + ["少先队员"] * 3
POLITICAL_STAFF = ["中共党员"] * 5 + ["群众"] * 4 + ["中国民主同盟盟员", "九三学社社员", "共青团员"]
HEALTH_STATUS = (
    ["健康"] * 10 + ["良好"] * 4 + ["一般", "哮喘", "近视", "视力残疾", "有慢性病", "过敏"]
)
RELATIONS = ["父亲", "母亲", "爷爷", "奶奶", "外公", "外婆", "其他亲属"]
AID = ["建档立卡贫困户", "低保户", "特困供养", "孤儿", "残疾人家庭", "家庭经济困难", "不困难"]
COURSES = (
    "语文",
    "数学",
    "英语",
    "物理",
    "化学",
    "生物",
    "历史",
    "地理",
    "政治",
    "信息技术",
    "高等数学",
    "体育与健康",
)


@dataclass(frozen=True)
class Concept:
    """One kind of column: its truth label, its names in each style and its value maker."""

    key: str
    codes: frozenset[str]
    names: tuple[str, str, str, str]  # english, camel, pinyin, chinese
    comment: str
    make: Callable[[Generator], str]


class Generator:
    """Synthetic values, reproducible from one seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(seed)
        from eduguard.discovery.detectors.base import read_table

        rows = read_table("divisions.tsv")
        self.provinces = {row[0][:2]: row[1] for row in rows if row[2] == "province"}
        self.prefectures = {row[0][:4]: row[1] for row in rows if row[2] == "prefecture"}
        self.counties = [
            (row[0], row[1])
            for row in rows
            if row[2] == "county" and row[0][:2] not in ("81", "82", "71")
        ]

    # -- people -------------------------------------------------------------------------------
    def name(self) -> str:
        return str(self.faker.name())

    def birth(self, young: bool) -> date:
        start = date(2012, 1, 1) if young else date(1965, 1, 1)
        span = 3650 if young else 12000
        return start + timedelta(days=self.rng.randrange(span))

    def resident_id(self, young: bool = True, dirt: bool = True) -> str:
        code = self.rng.choice(self.counties)[0]
        born = self.birth(young)
        if dirt and not young and self.rng.random() < 0.08:  # old 15-digit card
            return f"{code}{born:%y%m%d}{self.rng.randrange(1000):03d}"
        body = f"{code}{born:%Y%m%d}{self.rng.randrange(1000):03d}"
        number = body + mod_11_2.calc_check_digit(body)
        if dirt and number.endswith("X") and self.rng.random() < 0.5:
            number = number[:-1] + "x"
        return number

    def mobile(self, dirt: bool = True) -> str:
        number = f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}"
        roll = self.rng.random() if dirt else 1.0
        if roll < 0.08:
            return f"+86 {number[:3]} {number[3:7]} {number[7:]}"
        if roll < 0.14:
            return f"+86{number}"
        if roll < 0.2:
            return f"{number[:3]}-{number[3:7]}-{number[7:]}"
        return number

    def landline(self) -> str:
        area = self.rng.choice(["010", "021", "020", "0571", "0755", "028", "0931"])
        return f"{area}-{self.rng.randrange(2, 10)}{self.rng.randrange(10**6, 10**7)}"

    def email(self) -> str:
        user = "".join(
            self.rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(self.rng.randrange(4, 9))
        )
        return f"{user}{self.rng.randrange(100)}@{self.rng.choice(EMAIL_DOMAINS)}"

    def address(self) -> str:
        code, county = self.rng.choice(self.counties)
        province = self.provinces.get(code[:2], "")
        prefecture = self.prefectures.get(code[:4], "")
        if prefecture == province:
            prefecture = ""
        parts = [
            province,
            prefecture,
            county,
            self.rng.choice(STREETS),
            f"{self.rng.randrange(1, 400)}号",
        ]
        if self.rng.random() < 0.6:
            parts += [
                self.rng.choice(ESTATES),
                f"{self.rng.randrange(1, 30)}栋",
                f"{self.rng.randrange(1, 6)}单元",
                f"{self.rng.randrange(1, 30)}0{self.rng.randrange(1, 5)}室",
            ]
        return "".join(parts)

    def hukou(self) -> str:
        code, county = self.rng.choice(self.counties)
        return self.provinces.get(code[:2], "") + self.prefectures.get(code[:4], "") + county

    def bank_card(self) -> str:
        body = "62" + "".join(
            self.rng.choice("0123456789") for _ in range(self.rng.choice((13, 16)))
        )
        return body + luhn.calc_check_digit(body)

    def student_reg_no(self) -> str:
        return "G" + self.resident_id(young=True, dirt=False).upper()

    def pick(self, items: list[str] | tuple[str, ...]) -> str:
        return str(self.rng.choice(items))


def _c(
    key: str,
    codes: str,
    names: tuple[str, str, str, str],
    comment: str,
    make: Callable[[Generator], str],
) -> Concept:
    return Concept(key, frozenset(codes.split()) if codes else frozenset(), names, comment, make)


CONCEPTS = {
    concept.key: concept
    for concept in (
        _c(
            "sfzjh",
            "CN_RESIDENT_ID",
            ("id_card_no", "idCardNo", "sfzjh", "身份证号"),
            "身份证件号",
            lambda g: g.resident_id(True),
        ),
        _c(
            "staff_id",
            "CN_RESIDENT_ID",
            ("id_number", "idNumber", "sfzh", "身份证号码"),
            "身份证号",
            lambda g: g.resident_id(False),
        ),
        _c(
            "xjh",
            "STUDENT_REG_NO",
            ("student_reg_no", "studentRegNo", "xjh", "学籍号"),
            "全国学籍号",
            lambda g: g.student_reg_no(),
        ),
        _c(
            "xh",
            "STUDENT_NO",
            ("student_no", "studentNo", "xh", "学号"),
            "学号",
            lambda g: f"2023{g.rng.randrange(10**5):05d}",
        ),
        _c(
            "xm",
            "PERSON_NAME",
            ("student_name", "studentName", "xm", "姓名"),
            "姓名",
            lambda g: g.name(),
        ),
        _c(
            "xbm",
            "GENDER",
            ("gender", "gender", "xbm", "性别"),
            "性别码",
            lambda g: g.pick(["男", "女"]),
        ),
        _c(
            "csrq",
            "BIRTH_DATE",
            ("birth_date", "birthDate", "csrq", "出生日期"),
            "出生日期",
            lambda g: g.birth(True).isoformat(),
        ),
        _c(
            "mzm",
            "ETHNICITY",
            ("ethnicity", "ethnicGroup", "mzm", "民族"),
            "民族码",
            lambda g: g.pick(ETHNIC),
        ),
        _c(
            "zzmmm",
            "POLITICAL_STATUS",
            ("political_status", "politicalStatus", "zzmmm", "政治面貌"),
            "政治面貌码",
            lambda g: g.pick(POLITICAL_STUDENT),
        ),
        _c(
            "zjxym",
            "RELIGION",
            ("religion", "religion", "zjxym", "宗教信仰"),
            "宗教信仰码",
            lambda g: g.pick(RELIGIONS),
        ),
        _c(
            "jkzk",
            "HEALTH",
            ("health_status", "healthStatus", "jkzk", "健康状况"),
            "健康状况",
            lambda g: g.pick(HEALTH_STATUS),
        ),
        _c(
            "jtzz",
            "ADDRESS",
            ("home_address", "homeAddress", "jtzz", "家庭住址"),
            "家庭住址",
            lambda g: g.address(),
        ),
        _c(
            "hkszd",
            "HOUSEHOLD_REGISTRATION",
            ("hukou_location", "hukouLocation", "hkszd", "户口所在地"),
            "户口所在地",
            lambda g: g.hukou(),
        ),
        _c(
            "sjh",
            "MOBILE_PHONE",
            ("mobile", "mobilePhone", "sjh", "手机号"),
            "手机号码",
            lambda g: g.mobile(),
        ),
        _c(
            "dzyx",
            "EMAIL",
            ("email", "emailAddress", "dzyx", "电子邮箱"),
            "电子邮箱",
            lambda g: g.email(),
        ),
        _c(
            "jzxm",
            "PERSON_NAME",
            ("guardian_name", "guardianName", "jzxm", "家长姓名"),
            "家长姓名",
            lambda g: g.name(),
        ),
        _c(
            "jzdh",
            "MOBILE_PHONE",
            ("guardian_phone", "guardianPhone", "jzdh", "家长电话"),
            "家长联系电话",
            lambda g: g.mobile(),
        ),
        _c(
            "ybrgx",
            "FAMILY_RELATION",
            ("relationship", "guardianRelation", "ybrgx", "与学生关系"),
            "与学生关系",
            lambda g: g.pick(RELATIONS),
        ),
        _c(
            "yhkh",
            "BANK_CARD",
            ("bank_card_no", "bankCardNo", "yhkh", "银行卡号"),
            "银行卡号",
            lambda g: g.bank_card(),
        ),
        _c(
            "jtnsr",
            "FINANCIAL",
            ("family_income", "familyIncome", "jtnsr", "家庭年收入"),
            "家庭年收入（元）",
            lambda g: str(g.rng.randrange(8000, 300000)),
        ),
        _c(
            "zzlx",
            "FINANCIAL",
            ("aid_type", "aidType", "zzlx", "资助类型"),
            "资助类型",
            lambda g: g.pick(AID),
        ),
        _c(
            "cj",
            "EDUCATION_RECORD",
            ("score", "examScore", "cj", "成绩"),
            "考试成绩",
            lambda g: str(g.rng.randrange(35, 101)),
        ),
        _c(
            "gh",
            "STAFF_NO",
            ("staff_no", "staffNo", "gh", "工号"),
            "工号",
            lambda g: f"T{g.rng.randrange(10**4):04d}",
        ),
        _c(
            "jsxm",
            "PERSON_NAME",
            ("teacher_name", "teacherName", "jsxm", "教师姓名"),
            "教师姓名",
            lambda g: g.name(),
        ),
        _c(
            "jszgzsh",
            "TEACHER_CERT_NO",
            ("teacher_cert_no", "teacherCertNo", "jszgzsh", "教师资格证书号"),
            "教师资格证书号码",
            lambda g: (
                f"20{g.rng.randrange(5, 24):02d}{g.rng.randrange(11, 66)}{g.rng.randrange(1000):03d}{g.rng.randrange(1, 8)}{g.rng.randrange(1, 3)}{g.rng.randrange(10**6):06d}"
            ),
        ),
        _c(
            "bgdh",
            "LANDLINE_PHONE",
            ("office_phone", "officePhone", "bgdh", "办公电话"),
            "办公电话",
            lambda g: g.landline(),
        ),
        _c(
            "jszzmm",
            "POLITICAL_STATUS",
            ("party", "politicalStatus", "zzmm", "政治面貌"),
            "政治面貌",
            lambda g: g.pick(POLITICAL_STAFF),
        ),
        _c(
            "gz",
            "FINANCIAL",
            ("salary", "monthlySalary", "yfgz", "应发工资"),
            "应发工资",
            lambda g: f"{g.rng.randrange(4000, 20000)}.00",
        ),
        _c(
            "dlip",
            "IP_ADDRESS",
            ("login_ip", "loginIp", "dlip", "登录IP"),
            "登录 IP 地址",
            lambda g: (
                f"{g.rng.randrange(1, 224)}.{g.rng.randrange(256)}.{g.rng.randrange(256)}.{g.rng.randrange(1, 255)}"
            ),
        ),
        _c(
            "mac",
            "DEVICE_ID",
            ("mac_address", "macAddress", "macdz", "MAC地址"),
            "终端 MAC 地址",
            lambda g: ":".join(f"{g.rng.randrange(256):02X}" for _ in range(6)),
        ),
        _c(
            "cph",
            "LICENSE_PLATE",
            ("plate_no", "plateNo", "cph", "车牌号"),
            "车牌号",
            lambda g: (
                g.pick(list("京沪粤浙苏川"))
                + g.pick(list("ABCDEF"))
                + f"{g.rng.randrange(10**5):05d}"
            ),
        ),
        _c(
            "qq",
            "SOCIAL_ACCOUNT",
            ("qq", "qqNumber", "qqh", "QQ号"),
            "QQ号",
            lambda g: str(g.rng.randrange(10**5, 10**10)),
        ),
        _c(
            "hzh",
            "PASSPORT",
            ("passport_no", "passportNo", "hzh", "护照号"),
            "护照号码",
            lambda g: f"E{g.rng.randrange(10**8):08d}",
        ),
        _c(
            "hxz",
            "TRAVEL_PERMIT",
            ("home_return_permit", "homeReturnPermit", "hxzh", "回乡证号"),
            "港澳居民来往内地通行证号",
            lambda g: f"{g.pick(['H', 'M'])}{g.rng.randrange(10**8):08d}",
        ),
        _c(
            "mm",
            "CREDENTIAL",
            ("password_hash", "passwordHash", "mm", "密码"),
            "登录密码（散列）",
            lambda g: (
                "$2b$12$"
                + "".join(
                    g.rng.choice("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
                    for _ in range(53)
                )
            ),
        ),
        _c(
            "zp",
            "PHOTO",
            ("photo_url", "photoUrl", "zp", "照片"),
            "学生照片",
            lambda g: f"/photos/{g.rng.randrange(10**6)}.jpg",
        ),
        _c(
            "dkwz",
            "LOCATION",
            ("checkin_location", "checkinLocation", "dkwz", "打卡位置"),
            "打卡位置（经纬度）",
            lambda g: f"{g.rng.uniform(22, 41):.6f},{g.rng.uniform(100, 122):.6f}",
        ),
        _c(
            "ksh",
            "EXAM_REG_NO",
            ("exam_no", "examNo", "ksh", "考生号"),
            "高考报名号",
            lambda g: (
                f"23{g.rng.randrange(110000, 660000)}1{g.rng.randrange(1, 3)}{g.rng.randrange(10**4):04d}"
            ),
        ),
        # non-personal columns inside personal tables
        _c(
            "bjmc",
            "",
            ("class_name", "className", "bjmc", "班级名称"),
            "班级名称",
            lambda g: f"高{g.pick(list('一二三'))}({g.rng.randrange(1, 13)})班",
        ),
        _c(
            "rxrq",
            "",
            ("enrol_date", "enrolDate", "rxrq", "入学日期"),
            "入学日期",
            lambda g: f"20{g.rng.randrange(18, 25)}-09-01",
        ),
        _c(
            "cjsj",
            "",
            ("created_at", "createdAt", "cjsj", "创建时间"),
            "记录创建时间",
            lambda g: (
                f"2024-{g.rng.randrange(1, 13):02d}-{g.rng.randrange(1, 29):02d} {g.rng.randrange(24):02d}:{g.rng.randrange(60):02d}:{g.rng.randrange(60):02d}"
            ),
        ),
        _c(
            "zt",
            "",
            ("status", "status", "zt", "状态"),
            "状态",
            lambda g: g.pick(["在读", "休学", "毕业", "转出"]),
        ),
        _c(
            "kcmc",
            "",
            ("course_name", "courseName", "kcmc", "课程名称"),
            "课程名称",
            lambda g: g.pick(COURSES),
        ),
        _c(
            "zc",
            "",
            ("title", "jobTitle", "zc", "职称"),
            "职称",
            lambda g: g.pick(["一级教师", "高级教师", "二级教师", "正高级教师"]),
        ),
    )
}
