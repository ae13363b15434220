"""The file that marks a folder as synthetic demo data (written by :mod:`lib.demo.write`, read by the readers)."""

DEMO_MARKER = "DEMO_DATA.json"
