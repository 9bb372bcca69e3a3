"""Client onboarding: the application the front desk submits (``intake``), the workflow's steps
(``steps``), and what the API shows of clients (``views``)."""
