"""Open data and sharing (数据开放与共享, notice item 7; issue #21). Part 1: share attributes,
the open-data catalog and the sharing responsibility list."""
