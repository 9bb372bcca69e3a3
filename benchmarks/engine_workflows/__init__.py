"""Workflows the engine benchmark runs, declared like the real ones so both modes load them alike."""
