"""Collection reviews (数据收集审核, notice items 4 and 11): a planned collection read from a
采集表, DDL, JSON Schema/OpenAPI or a console form, each field classified and graded, checked
against the notice, and approved through ``reviews`` before any data is collected."""
