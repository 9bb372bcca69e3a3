"""What every process writes beside its own rows: the audit log, idempotency keys, named locks."""
