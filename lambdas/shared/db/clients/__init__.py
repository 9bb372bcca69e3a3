"""Clients: the person, their consents, their proof of eligibility."""
