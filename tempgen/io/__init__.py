"""Files in and out: text, model files, ARPA text, atomic writes. Knows nothing of models:
what it reads it returns as plain data (strings, dicts, 1-D arrays), checked as data."""
