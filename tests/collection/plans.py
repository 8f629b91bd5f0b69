"""Plan files as schools and vendors make them (synthetic): a 采集表 with a title row, merged
two-row headers, a data-validation list on a hidden sheet and one example row; the same as GBK
CSV and as .xls; a migration's DDL; an OpenAPI document."""

from __future__ import annotations

import io
import json

import openpyxl
from openpyxl.worksheet.datavalidation import DataValidation

TITLE = "2026年秋季学期新生信息采集表"


def xlsx_form() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "新生信息"
    sheet.append([TITLE])
    sheet.merge_cells("A1:G1")
    sheet.append(["学生姓名", "身份证号", "民族", "家庭住址", "监护人", None, "是否住校"])
    sheet.append([None, None, None, None, "姓名", "手机号", None])
    for column in "ABCDG":  # single headers span both header rows
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("E2:F2")
    sheet.append(
        [
            "示例：王小雨",
            "110105201405060022",
            "汉族",
            "北京市东城区示例路1号",
            "王大山",
            "13800000000",
            "否",
        ]
    )
    lists = book.create_sheet("选项")
    for row, value in enumerate(["汉族", "回族", "满族", "蒙古族"], start=1):
        lists.cell(row=row, column=1, value=value)
    lists.sheet_state = "hidden"
    ethnicity = DataValidation(type="list", formula1="选项!$A$1:$A$4")
    ethnicity.add("C4:C500")
    boarding = DataValidation(type="list", formula1='"是,否"')
    boarding.add("G4:G500")
    sheet.add_data_validation(ethnicity)
    sheet.add_data_validation(boarding)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def gbk_csv() -> bytes:
    text = "学生姓名,身份证号,家长手机号,年级\n王小雨,110105201405060021,13800000000,三年级\n"
    return text.encode("gbk")


def xls_form() -> bytes:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("采集表")
    sheet.write_merge(0, 0, 0, 3, TITLE)
    sheet.write_merge(1, 2, 0, 0, "学生姓名")
    sheet.write_merge(1, 1, 1, 2, "监护人")
    sheet.write(2, 1, "姓名")
    sheet.write(2, 2, "联系电话")
    sheet.write_merge(1, 2, 3, 3, "人脸照片")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


DDL = """
-- 家校沟通 App 第 3 版迁移：新增家长表
CREATE TABLE `jx_parent` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `xm` varchar(50) COMMENT '家长姓名',
  `sjh` varchar(11) COMMENT '手机号',
  `sfzh` varchar(18) COMMENT '身份证号',
  `jtzz` varchar(200) COMMENT '家庭住址',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB COMMENT='家长信息';
"""


def openapi() -> bytes:
    document = {
        "openapi": "3.0.3",
        "info": {"title": "家校通 API", "version": "1.0"},
        "paths": {
            "/students": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Student"}}
                        }
                    }
                }
            }
        },
        "components": {
            "schemas": {
                "Student": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "description": "学生姓名"},
                        "idCard": {"type": "string", "description": "居民身份证号码"},
                        "guardian": {
                            "type": "object",
                            "properties": {
                                "mobile": {"type": "string", "description": "监护人手机号"}
                            },
                        },
                        "facePhoto": {
                            "type": "string",
                            "format": "byte",
                            "description": "人脸照片",
                        },
                        "grade": {"type": "string", "enum": ["一年级", "二年级"]},
                    },
                }
            }
        },
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


# A vendor's 家校沟通 app, as vendors hand it over: OpenAPI 3 in YAML, Chinese descriptions,
# a shared anchor for the audit columns, a $ref'd nested guardian and a request body.
OPENAPI_YAML = """\
openapi: 3.0.3
info:
  title: 家校通 开放接口
  version: 2.1.0
  description: |
    家校沟通 App 服务端接口（供学校对接）。
x-audit: &audit
  createdAt:
    type: string
    format: date-time
    description: 创建时间
paths:
  /api/v2/students:
    post:
      summary: 登记学生
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Student'
  /api/v2/leave:
    post:
      summary: 请假申请
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                reason: {type: string, description: 请假事由}
components:
  schemas:
    Student:
      type: object
      required: [name, idCard]
      properties:
        name:
          type: string
          description: 姓名
          example: 王小雨
        idCard:
          type: string
          description: 身份证号
          pattern: '^[0-9]{17}[0-9Xx]$'
        guardian:
          $ref: '#/components/schemas/Guardian'
        grade:
          type: string
          enum: [一年级, 二年级, 三年级]
        <<: *audit
    Guardian:
      type: object
      properties:
        guardianName:
          type: string
          description: 监护人姓名
        phone:
          type: string
          description: 手机号
        relation:
          type: string
          enum: [父亲, 母亲, 其他]
"""
