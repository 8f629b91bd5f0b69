"""The one task queue (``tasks`` table): work enqueued in the caller's transaction, run by
``eduguard worker`` (:mod:`eduguard.worker`) through handlers registered by kind."""
