"""The data resource catalog (数据资源目录): data sources of systems, scan runs executed by a
background worker, datasets and fields with their reviewed classification, versions, findings
and exports."""
