"""Data access: models, engine, unit of work. The only package that imports SQLAlchemy."""
