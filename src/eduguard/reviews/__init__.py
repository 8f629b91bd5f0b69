"""One approval mechanism: a request about an object, steps decided by a role of a unit.

Classification review, research-release approval and, later, collection reviews, sharing
approvals, impact assessments, ethics reviews and incident sign-off are all the same thing.
A domain describes its steps as data (:class:`~eduguard.reviews.service.ReviewKind`, loaded
from TOML); this package keeps the state, the decisions with their reasons, who may see a
request and who may decide each step.
"""
