"""Asset of the WarmStartValidator Lambda: ``handler.py`` plus the pure rule engine."""
