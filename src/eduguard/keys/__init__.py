"""Envelope keys: data keys wrapped by the master key, field sealing, rotation."""
