"""The queue of a clinic day: tickets, their numbers, their events, the calling order."""
