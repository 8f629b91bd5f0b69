"""Units, information systems, responsibilities and third-party agreements (notice items 1–2)."""
