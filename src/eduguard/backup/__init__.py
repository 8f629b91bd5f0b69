"""Backup and recovery: the platform's own backups, and each information system's backup
policy and recovery drills (issue #20 part 7)."""
