"""Executions as managers and ops see them: reading (counts, lists, one execution), its timeline
(events without task tokens, what happened to each state), and what ops do (redrive, stop)."""
