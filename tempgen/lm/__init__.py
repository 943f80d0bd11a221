"""Language models: the model contract (model.py), n-gram and back-off models, their
estimation from text, tokenizers, and models to and from files."""
