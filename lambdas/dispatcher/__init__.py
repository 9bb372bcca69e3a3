"""The dispatcher function: delivers the notifications outbox (every minute, and when nudged)."""
