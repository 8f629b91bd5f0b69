"""Research and statistics release (科研与统计数据发布): a request names a catalog dataset, the
fields wanted, the purpose, recipient and legal basis; the data owner approves it through
``reviews``; a job then writes a de-identified copy of the approved fields only, with its
report, which only the requester may download.
"""
