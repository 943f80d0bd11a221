"""tempgen: see and use temperature sampling with n-gram language models."""

__version__ = "0.1.0"
