"""The one background worker: scans (catalog), releases and every queued task, in one loop
(``eduguard worker``, and the web server's in-process worker, ``web.worker``)."""
