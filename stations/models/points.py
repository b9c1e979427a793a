"""points models"""

__all__: list[str] = []
