"""处理活动记录: per information system, why personal information is processed (purposes), on
which legal basis (PIPL Art. 13), with which catalog fields, for how long, shared with whom —
and the collection rules (收集使用规则) published from it."""
