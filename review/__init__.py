"""review: a Jupyter-based systematic-review workbench."""
__version__ = "0.1.0"
