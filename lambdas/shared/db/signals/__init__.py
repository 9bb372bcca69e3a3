"""The workflow signals outbox."""
