"""Khánh Hòa digital-transformation assistant: the gateway around the in-process Rasa agent."""

import os

# Read by SQLAlchemy 1.4 when it is first imported (Rasa's tracker store uses its 1.x API):
# without it every start prints a long "2.0 migration" notice meant for library authors.
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
