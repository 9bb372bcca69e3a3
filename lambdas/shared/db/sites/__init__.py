"""Sites of the clinic days and their stations."""
