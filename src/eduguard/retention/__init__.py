"""Retention (保存期限): rules per catalog dataset, exemptions, holds."""
