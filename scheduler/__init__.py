"""rota: least-cost multilingual support rotas from a question forecast."""

__version__ = "0.1.0"
