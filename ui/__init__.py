"""Streamlit glue: cached wrappers around ``lib``, shared widgets and messages. Pages import from here."""
