"""Answers kept in memory while the data they were built from does not move."""


class PageCache:
    """Product-page answers kept until the stock or the reference data moves (the versions given)."""

    LIMIT = 100_000  # answers kept at most: many distinct points must not grow it without bound

    def __init__(self) -> None:
        self._versions: tuple = ()
        self._answers: dict[tuple, dict] = {}

    def get(self, versions: tuple, key: tuple) -> dict | None:
        if versions != self._versions:
            self._versions, self._answers = versions, {}
        return self._answers.get(key)

    def put(self, key: tuple, answer: dict) -> None:
        if len(self._answers) >= self.LIMIT:
            self._answers.clear()
        self._answers[key] = answer
