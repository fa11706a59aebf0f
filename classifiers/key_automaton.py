"""KeyAutomaton: one Aho-Corasick automaton of the keyword matcher (classifiers/automaton.py),
in the compiled scanner (classifiers/_scanner.pyx) when the install built it, in pyahocorasick
otherwise. Both report the same (index of the key's last character, value) pairs in the same
order (tests/classifiers/test_key_automaton.py compares them); the scanner finds a node's child
by binary search where pyahocorasick scans the children one by one, which on the base
automaton's root (hundreds of children, visited at nearly every character) is most of the time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Generic, Protocol, TypeVar

import ahocorasick

try:
    from classifiers._scanner import Scanner, Spelling
except ImportError:  # a checkout that was never installed, or a pure-Python build on purpose
    Scanner = None  # type: ignore[assignment, misc]
    Spelling = None  # type: ignore[assignment, misc]

V = TypeVar("V")


class SpelledView(Protocol):
    """A view of text that is a translate table (the pinyin view), also in the scanner's form
    (`spelling`: None without the compiled scanner)."""

    spelling: Spelling | None

    def view(self, base: str) -> str: ...


class KeyAutomaton(Generic[V]):
    __slots__ = ("count", "find", "_keys", "_scanner")

    def __init__(self, entries: Mapping[str, V], *, compiled: bool = True) -> None:
        """`compiled`: use the compiled scanner if the install built it (False: pyahocorasick,
        the reference the scanner is tested against)."""
        self._keys = frozenset(entries)
        # The number of keys as an attribute: the matcher asks every automaton whether it is
        # empty for every message, and `len()` of this class is a Python call.
        self.count = len(self._keys)
        self.find: Callable[[str], Iterable[tuple[int, V]]]
        self._scanner = Scanner(list(entries), list(entries.values())) \
            if compiled and Scanner is not None else None
        if self._scanner is not None:
            self.find = self._scanner.find
            return
        automaton = ahocorasick.Automaton()
        for key, value in entries.items():
            automaton.add_word(key, value)
        if len(automaton):
            automaton.make_automaton()
            self.find = automaton.iter
        else:
            self.find = lambda text: ()

    def find_spelled(self, text: str, view: SpelledView) -> Iterable[tuple[int, V]]:
        """`find` over `view.view(text)`; the compiled scanner reads the view's spelling of
        each character as it goes, without building the view (its ends are the view's)."""
        if self._scanner is not None and view.spelling is not None:
            return self._scanner.find_spelled(text, view.spelling)
        return self.find(view.view(text))

    def __len__(self) -> int:
        return self.count

    def __contains__(self, key: str) -> bool:
        return key in self._keys
