"""Documents as schools publish them: leak detection accuracy and speed per format.

    .venv/bin/python bench/documents.py              # 504 documents (84 per format)
    .venv/bin/python bench/documents.py --per-format 20 --seed 7

Generates a seeded set of synthetic documents in a temporary folder — 公示名单, 录取/分班名单,
表彰名单, 体检结果, 家访记录, 课程表 — as .xlsx (merged title row, notes row, sometimes a hidden
sheet holding the raw data), .csv (GBK or UTF-8), .docx (title paragraph + table), .pdf (a table
that may run over pages), .html (GBK or UTF-8, a merged two-level header) and .txt (prose). Each
is leaking (full IDs, phones, cards), masked the 公示 way (张*三, 4201**********1234) or
masked with a few values left unmasked (a leak too), or holds no personal information at all.

Then checks each document alone as ``eduguard publish-check`` does (``protection.publish.
check_file``: the scan of every table and its prose, every row, with findings located) and prints:

* document-level leak detection: precision and recall of “the check finds an unmasked direct
  identifier” against the truth (a leak = some direct identifier unmasked anywhere, hidden
  sheets included; a CSV counts too, which the scan report marks ``leak`` only for documents);
* column findings: per type, recall over the columns that hold it and precision over the columns
  whose truth is known (identifier columns and 序号; 班级/金额/成绩 are left out of precision);
* speed per format: documents per second and MB/s of file, and the process's peak RSS.

The generator was written for this benchmark, not the one the readers were developed on
(tests/documents), but it shares their conventions: treat the figures as a check on the readers
and the leak logic, not as accuracy on real school documents. There is no peer: Presidio and
the other open-source scanners read no Word, PDF or Excel layout.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ as a package
from bench.datagen import PROVINCES, SchoolData

FORMATS = ("xlsx", "csv", "docx", "pdf", "html", "txt")
KINDS = {
    "助学金公示": ["序号", "姓名", "身份证号", "银行卡号", "资助金额"],
    "贫困生认定公示": ["序号", "姓名", "班级", "身份证号", "家庭住址", "认定等级"],
    "录取名单": ["序号", "姓名", "身份证号", "联系电话", "录取学校"],
    "分班名单": ["序号", "姓名", "班级", "家长电话"],
    "三好学生表彰名单": ["序号", "姓名", "班级"],
    "体检结果": ["序号", "姓名", "身份证号", "体检结论"],
}
TRUTH = {  # column → the type it holds (None: none; missing: not scored for precision)
    "序号": None,
    "姓名": "PERSON_NAME",
    "身份证号": "CN_RESIDENT_ID",
    "银行卡号": "BANK_CARD",
    "联系电话": "MOBILE_PHONE",
    "家长电话": "MOBILE_PHONE",
    "家庭住址": "ADDRESS",
    "体检结论": "HEALTH",
}
GRADES = ["三年级", "五年级", "初一", "高二", "高一", "七年级"]
HEALTH = ["视力异常", "龋齿", "心电图异常", "正常", "肥胖", "贫血"]


@dataclass
class Doc:
    path: Path
    fmt: str
    leak: bool
    columns: list[str] = field(default_factory=list)  # the table's headers (table documents)


class Maker:
    def __init__(self, seed: int, folder: Path) -> None:
        self.random = random.Random(seed)
        self.data = SchoolData(seed)
        self.folder = folder
        self.count = 0

    # -- values ------------------------------------------------------------------------------

    def value(self, column: str, masked: bool, index: int) -> str:
        data, rnd = self.data, self.random
        region, district = rnd.choice(PROVINCES)
        if column == "序号":
            return str(index)
        if column == "姓名":
            name = data.name()
            return name[0] + "*" + (name[-1] if len(name) > 2 else "") if masked else name
        if column == "身份证号":
            value = data.resident_id(region, data.birth())
            return value[:4] + "*" * 10 + value[-4:] if masked else value
        if column == "银行卡号":
            value = data.card()
            return f"{value[:4]} **** **** {value[-4:]}" if masked else value
        if column in ("联系电话", "家长电话"):
            value = data.mobile()
            return value[:3] + "****" + value[-4:] if masked else value
        if column == "家庭住址":
            return district if masked else data.address(district)
        if column == "班级":
            return f"{rnd.choice(GRADES)}（{rnd.randint(1, 9)}）班"
        if column == "资助金额":
            return str(rnd.choice([1000, 1500, 2000, 2500]))
        if column == "认定等级":
            return rnd.choice(["特别困难", "困难", "一般困难"])
        if column == "录取学校":
            return rnd.choice(["第一中学", "实验中学", "外国语学校"])
        if column == "体检结论":
            return rnd.choice(HEALTH)
        return ""

    def table(self, columns: list[str], rows: int, state: str) -> list[list[str]]:
        """``state``: plain (leaks), masked (clean), partial (masked but a few left: leaks)."""
        out = []
        leaky = (
            set(self.random.sample(range(rows), k=min(rows, 2))) if state == "partial" else set()
        )
        for index in range(1, rows + 1):
            masked = state != "plain" and (index - 1) not in leaky
            out.append([self.value(column, masked, index) for column in columns])
        return out

    # -- documents ---------------------------------------------------------------------------

    def make(self, fmt: str) -> Doc:
        self.count += 1
        rnd = self.random
        roll = rnd.random()
        state = "plain" if roll < 0.4 else "masked" if roll < 0.75 else "partial"
        kind, columns = rnd.choice(list(KINDS.items()))
        if rnd.random() < 0.12:
            kind, columns, state = "课程表", ["节次", "星期一", "星期二", "星期三"], "none"
        title = (
            f"2026年{rnd.choice(GRADES)}{kind}" if rnd.random() < 0.5 else f"2026年秋季学期{kind}"
        )
        rows = rnd.randint(5, 70 if fmt == "pdf" else 40)
        data = self.timetable(rows) if state == "none" else self.table(columns, rows, state)
        leak = state in ("plain", "partial")
        path = self.folder / f"{self.count:04d}_{kind}.{fmt}"
        hidden = False
        if fmt == "xlsx":
            hidden = state == "masked" and rnd.random() < 0.3
            self.xlsx(path, title, columns, data, hidden)
        elif fmt == "csv":
            self.csv(path, columns, data, rnd.choice(["gb18030", "utf-8-sig", "utf-8"]))
        elif fmt == "docx":
            self.docx(path, title, columns, data)
        elif fmt == "pdf":
            self.pdf(path, title, columns, data)
        elif fmt == "html":
            self.html(path, title, columns, data, rnd.choice(["gbk", "utf-8"]))
        else:
            return self.prose(path, state)
        return Doc(path, fmt, leak or hidden, columns if state != "none" else [])

    def timetable(self, rows: int) -> list[list[str]]:
        subjects = ["语文", "数学", "英语", "体育", "音乐", "美术", "科学"]
        return [
            [f"第{i}节", *(self.random.choice(subjects) for _ in range(3))]
            for i in range(1, min(rows, 8) + 1)
        ]

    def xlsx(
        self, path: Path, title: str, columns: list[str], data: list[list[str]], hidden: bool
    ) -> None:
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "公示"
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
        sheet.append(columns)
        for row in data:
            sheet.append(row)
        sheet.append(["公示期为5个工作日，如有异议请向学校办公室反映。"])
        if hidden:  # the raw data left in a hidden sheet: a leak the visible sheet does not show
            raw = book.create_sheet("原始数据")
            raw.append(["姓名", "身份证号", "联系电话"])
            for index in range(1, len(data) + 1):
                raw.append([self.value(c, False, index) for c in ("姓名", "身份证号", "联系电话")])
            raw.sheet_state = "hidden"
        book.save(path)

    def csv(self, path: Path, columns: list[str], data: list[list[str]], encoding: str) -> None:
        lines = [",".join(columns)] + [",".join(row) for row in data]
        path.write_bytes("\r\n".join(lines).encode(encoding))

    def docx(self, path: Path, title: str, columns: list[str], data: list[list[str]]) -> None:
        import docx

        document = docx.Document()
        document.add_paragraph(title)
        document.add_paragraph("经个人申请、班级评议、学校审核，现将名单公示如下：")
        table = document.add_table(rows=1 + len(data), cols=len(columns))
        for column, label in enumerate(columns):
            table.cell(0, column).text = label
        for index, row in enumerate(data, start=1):
            for column, value in enumerate(row):
                table.cell(index, column).text = value
        document.add_paragraph("公示期为5个工作日。")
        document.save(str(path))

    def pdf(self, path: Path, title: str, columns: list[str], data: list[list[str]]) -> None:
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

        if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        style = ParagraphStyle("cn", fontName="STSong-Light", fontSize=11)
        table = Table([columns, *data], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), "STSong-Light"),
                    ("GRID", (0, 0), (-1, -1), 0.5, "black"),
                ]
            )
        )
        SimpleDocTemplate(str(path), pagesize=A4).build(
            [Paragraph(title, style), table, Paragraph("公示期为5个工作日。", style)]
        )

    def html(
        self, path: Path, title: str, columns: list[str], data: list[list[str]], encoding: str
    ) -> None:
        head = "".join(f"<th>{c}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>" for row in data)
        page = (
            f'<html><head><meta charset="{encoding}"><title>{title}</title></head><body>'
            f"<h1>{title}</h1><table><tr><th colspan='{len(columns)}'>{title}</th></tr>"
            f"<tr>{head}</tr>{body}</table><p>公示期为5个工作日。</p></body></html>"
        )
        path.write_bytes(page.encode(encoding))

    def prose(self, path: Path, state: str) -> Doc:
        """家访记录 / 通报 in prose: a leak when a phone or an ID is written plain."""
        lines = []
        leak = False
        for index in range(self.random.randint(4, 20)):
            name = self.data.name()
            masked = state in ("masked", "none") or (state == "partial" and index > 1)
            phone = self.value("联系电话", masked, index)
            if state == "none":
                lines.append(f"第{index + 1}周：开展安全教育主题班会，学生参与积极。")
                continue
            leak |= not masked
            shown = name[0] + "同学" if masked else name
            lines.append(f"{index + 1}. 今日走访{shown}家，家长电话{phone}，家庭情况稳定。")
        path.write_text("\n".join(lines), encoding=self.random.choice(["utf-8", "gb18030"]))
        return Doc(path, "txt", leak)


def _score(docs: list[Doc]) -> None:
    from eduguard.protection.publish import check_file

    timing: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])  # docs, bytes, seconds
    tp = fp = fn = tn = errors = 0
    column_tp: dict[str, int] = defaultdict(int)
    column_fn: dict[str, int] = defaultdict(int)
    column_fp: dict[str, int] = defaultdict(int)
    missed: list[str] = []
    for doc in docs:
        start = time.perf_counter()
        check = check_file(doc.path)
        seconds = time.perf_counter() - start
        tables = [part.report for part in check.parts]
        bucket = timing[doc.fmt]
        bucket[0] += 1
        bucket[1] += doc.path.stat().st_size
        bucket[2] += seconds
        errors += len(check.errors)
        found = check.leak
        if found and doc.leak:
            tp += 1
        elif found:
            fp += 1
            missed.append(f"误报 {doc.path.name}")
        elif doc.leak:
            fn += 1
            missed.append(f"漏报 {doc.path.name}")
        else:
            tn += 1
        columns = {
            column.name: set(column.pi_types)
            for table in tables
            if not (table.hidden or {}).get("sheet")
            for column in table.columns
        }
        for name in doc.columns:
            predicted = columns.get(name, set())
            truth = TRUTH.get(name, "unscored")
            if truth not in (None, "unscored"):
                if truth in predicted:
                    column_tp[truth] += 1
                else:
                    column_fn[truth] += 1
            if truth != "unscored":
                for code in predicted - {truth}:
                    column_fp[code] += 1
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    print(f"\n文档级泄露判断（{len(docs)} 个文档，{tp + fn} 个有泄露）")
    print(f"  precision {precision:.3f}  recall {recall:.3f}  (TP {tp}, FP {fp}, FN {fn}, TN {tn})")
    print(f"  读取失败的表：{errors}")
    for line in missed[:15]:
        print(f"    {line}")
    print("\n列级发现（按类型）：recall = 命中列/应有列；precision 只计真值已知的列")
    print(f"  {'type':<16}{'recall':>8}{'columns':>9}{'false +':>9}")
    for code in sorted(set(column_tp) | set(column_fn) | set(column_fp)):
        held = column_tp[code] + column_fn[code]
        rate = f"{column_tp[code] / held:.3f}" if held else "-"
        print(f"  {code:<16}{rate:>8}{held:>9}{column_fp[code]:>9}")
    print("\n速度（单进程，每个文档单独检查全部行；含打开、版式识别、检测、定位；预热后）")
    print(f"  {'format':<8}{'docs':>6}{'MB':>8}{'docs/s':>9}{'MB/s':>8}")
    all_docs = all_bytes = all_seconds = 0.0
    for fmt in FORMATS:
        count, size, seconds = timing[fmt]
        all_docs, all_bytes, all_seconds = all_docs + count, all_bytes + size, all_seconds + seconds
        print(
            f"  {fmt:<8}{count:>6.0f}{size / 1e6:>8.2f}{count / seconds:>9.1f}{size / 1e6 / seconds:>8.2f}"
        )
    print(
        f"  {'all':<8}{all_docs:>6.0f}{all_bytes / 1e6:>8.2f}{all_docs / all_seconds:>9.1f}"
        f"{all_bytes / 1e6 / all_seconds:>8.2f}"
    )
    print(f"  peak RSS {peak_mb:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-format", type=int, default=84)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eduguard-docs-") as folder:
        maker = Maker(args.seed, Path(folder))
        started = time.perf_counter()
        docs = [maker.make(fmt) for _ in range(args.per_format) for fmt in FORMATS]
        print(
            f"生成 {len(docs)} 个文档（{sum(d.path.stat().st_size for d in docs) / 1e6:.1f} MB，"
            f"{time.perf_counter() - started:.1f} s）：{', '.join(FORMATS)}"
        )
        from eduguard.protection.publish import check_file

        for fmt in FORMATS:  # warm-up outside the timings: imports, the model, jieba's dictionary
            check_file(next(doc.path for doc in docs if doc.fmt == fmt))
        _score(docs)


if __name__ == "__main__":
    main()
