"""Answers kept in memory while the data they were built from does not move."""


class PageCache:
    """Product-page answers (one SKU, no point) kept until the stock or the reference data moves."""

    def __init__(self) -> None:
        self._versions: tuple = ()
        self._answers: dict[tuple[str, str], dict] = {}

    def get(self, versions: tuple, key: tuple[str, str]) -> dict | None:
        if versions != self._versions:
            self._versions, self._answers = versions, {}
        return self._answers.get(key)

    def put(self, key: tuple[str, str], answer: dict) -> None:
        self._answers[key] = answer
