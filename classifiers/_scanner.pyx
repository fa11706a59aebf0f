# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""An Aho-Corasick automaton in flat C arrays, for the keyword matcher's hot scans
(classifiers/automaton.py): `Scanner(keys, values).find(text)` is exactly
`list(automaton.iter(text))` of a pyahocorasick automaton holding the same keys and values —
the same (end index, value) pairs in the same order: by end, and at one end the longest key
first, then its suffixes along the failure links.

Why not pyahocorasick alone: it looks a node's children up one by one, and the base automaton's
root has hundreds, so nearly every character of a message (which falls back to the root) costs
a scan of them; here every node's children are sorted and found by binary search, and a large
root's in a table indexed by character.

`find_spelled(text, spelling)` is `find(view)` for the view that `spelling` (a translate table,
e.g. the pinyin view's: 信 → 'xin') makes of `text`, without building the view.
"""

from cpython.unicode cimport PyUnicode_DATA, PyUnicode_GET_LENGTH, PyUnicode_KIND, PyUnicode_READ
from libc.stdint cimport int32_t, uint16_t, uint32_t
from libc.stdlib cimport free, malloc


# Roots with at least this many children get a direct table (128 KiB); a shop overlay's small
# automata keep their binary search.
DEF DIRECT_ROOT = 256


cdef extern from "Python.h":
    object PyUnicode_FromKindAndData(int kind, const void* buffer, Py_ssize_t size)
    int PyUnicode_4BYTE_KIND


cdef class Spelling:
    """A translate table of BMP characters (code → str, or None to delete it) in C arrays: what
    `str.translate` with the same table as a list over the BMP (normalize/base.py's
    CompiledTable) writes for each character (a surrogate code, which no scored text holds, is
    written U+FFFD like that list; astral characters as themselves). `translate` is that
    translation; the scanner reads it without building it (`Scanner.find_spelled`)."""

    cdef int32_t* offset    # per BMP code: its spelling at chars[offset] .. + length, or -1
    cdef uint32_t* chars
    cdef int32_t* length
    cdef int32_t longest

    def __cinit__(self, table: dict) -> None:
        self.offset = <int32_t*>malloc(0x10000 * sizeof(int32_t))
        self.length = <int32_t*>malloc(0x10000 * sizeof(int32_t))
        cdef Py_ssize_t total = sum(len(v) for v in table.values() if v is not None)
        self.chars = <uint32_t*>malloc((total + 1) * sizeof(uint32_t))
        if not (self.offset and self.length and self.chars):
            raise MemoryError()
        cdef int32_t code, position = 0
        for code in range(0x10000):
            self.offset[code] = -1
            self.length[code] = 0
        for code in range(0xD800, 0xE000):
            self.offset[code] = total
            self.length[code] = 1
        self.chars[total] = 0xFFFD
        self.longest = 1
        for key, value in table.items():
            if not 0 <= key < 0x10000 or not (value is None or isinstance(value, str)):
                raise ValueError(f"a spelling maps a BMP code to a string or None: {key!r}")
            code = key
            self.offset[code] = position
            if value is None:
                self.length[code] = 0
                continue
            self.length[code] = len(value)
            self.longest = max(self.longest, len(value))
            for ch in value:
                self.chars[position] = ord(ch)
                position += 1

    def translate(self, str text) -> str:
        """`text.translate(table)`, the table as a list over the BMP."""
        cdef Py_ssize_t length = PyUnicode_GET_LENGTH(text), index, out = 0
        cdef int kind = PyUnicode_KIND(text)
        cdef void* data = PyUnicode_DATA(text)
        cdef uint32_t code
        cdef int32_t start, count, k
        cdef uint32_t* buffer = <uint32_t*>malloc((length * self.longest + 1) * sizeof(uint32_t))
        if not buffer:
            raise MemoryError()
        try:
            for index in range(length):
                code = PyUnicode_READ(kind, data, index)
                if code < 0x10000 and self.offset[code] >= 0:
                    start = self.offset[code]
                    count = self.length[code]
                    for k in range(count):
                        buffer[out] = self.chars[start + k]
                        out += 1
                else:
                    buffer[out] = code
                    out += 1
            return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buffer, out)
        finally:
            free(buffer)

    def __dealloc__(self) -> None:
        free(self.offset)
        free(self.length)
        free(self.chars)


cdef class Scanner:
    cdef int32_t nodes
    cdef int32_t* first     # a node's children: edges first[n] .. first[n + 1] - 1
    cdef uint32_t* labels   # the edges' characters, ascending within a node
    cdef int32_t* targets
    cdef int32_t* fail      # the longest proper suffix that is a node (-1 for the root)
    cdef int32_t* output    # the node itself if it ends a key, else the nearest along `fail`
    cdef int32_t* more      # for a key's node: the next key's node along `fail` (-1: none)
    cdef list values        # per node: its key's value (None where no key ends)
    cdef Py_ssize_t keys
    # A root with many children (the base automaton's: one per first character of a key, and
    # nearly every character of a message comes back to it) is looked up directly: per BMP
    # code, 1 + the root's edge for it, or 0 (edges are sorted by character, the BMP's first,
    # and keys read from UTF-8 hold no surrogates: at most 63,488 precede one, 16 bits hold it).
    cdef uint16_t* root

    def __cinit__(self, keys: list, values: list) -> None:
        self.first = NULL
        self.labels = NULL
        self.targets = NULL
        self.fail = NULL
        self.output = NULL
        self.more = NULL
        self.root = NULL
        if len(keys) != len(values):
            raise ValueError("one value per key")
        cdef list children = [{}]
        cdef list stored = [None]
        cdef list ends = [False]
        cdef dict node
        cdef int32_t current, child
        cdef str key
        for key, value in zip(keys, values):
            if not key:
                raise ValueError("empty key")
            current = 0
            for ch in key:
                node = <dict>children[current]
                found = node.get(ch)
                if found is None:
                    child = len(children)
                    node[ch] = child
                    children.append({})
                    stored.append(None)
                    ends.append(False)
                    current = child
                else:
                    current = found
            stored[current] = value
            ends[current] = True
        self.nodes = len(children)
        self.values = stored
        self.keys = sum(ends)
        cdef int32_t n = self.nodes
        cdef int32_t edges = n - 1
        self.first = <int32_t*>malloc((n + 1) * sizeof(int32_t))
        self.labels = <uint32_t*>malloc((edges if edges else 1) * sizeof(uint32_t))
        self.targets = <int32_t*>malloc((edges if edges else 1) * sizeof(int32_t))
        self.fail = <int32_t*>malloc(n * sizeof(int32_t))
        self.output = <int32_t*>malloc(n * sizeof(int32_t))
        self.more = <int32_t*>malloc(n * sizeof(int32_t))
        if not (self.first and self.labels and self.targets and self.fail and self.output
                and self.more):
            raise MemoryError()
        cdef int32_t position = 0
        cdef int32_t index, edge
        for index in range(n):
            self.first[index] = position
            for ch, child in sorted((<dict>children[index]).items()):
                self.labels[position] = ord(ch)
                self.targets[position] = child
                position += 1
        self.first[n] = position
        if self.first[1] >= DIRECT_ROOT:
            self.root = <uint16_t*>malloc(0x10000 * sizeof(uint16_t))
            if not self.root:
                raise MemoryError()
            for index in range(0x10000):
                self.root[index] = 0
            for edge in range(self.first[1]):
                if self.labels[edge] < 0x10000:
                    self.root[self.labels[edge]] = edge + 1
        # Breadth first, so that a node's failure target is done before the node.
        cdef list order = [0]
        cdef int32_t head = 0, parent, f, step
        cdef uint32_t label
        self.fail[0] = -1
        self.output[0] = -1
        self.more[0] = -1
        while head < len(order):
            parent = order[head]
            head += 1
            for edge in range(self.first[parent], self.first[parent + 1]):
                child = self.targets[edge]
                label = self.labels[edge]
                f = self.fail[parent]
                step = -1
                while f >= 0:
                    step = self._child(f, label)
                    if step >= 0:
                        break
                    f = self.fail[f]
                self.fail[child] = step if step >= 0 else 0
                self.output[child] = child if ends[child] else self.output[self.fail[child]]
                self.more[child] = self.output[self.fail[child]]
                order.append(child)

    def __dealloc__(self) -> None:
        free(self.first)
        free(self.labels)
        free(self.targets)
        free(self.fail)
        free(self.output)
        free(self.more)
        free(self.root)

    cdef inline int32_t _child(self, int32_t node, uint32_t label) noexcept:
        cdef int32_t low = self.first[node], high = self.first[node + 1] - 1, middle
        cdef uint32_t seen
        if node == 0 and self.root != NULL and label < 0x10000:
            middle = self.root[label]
            return self.targets[middle - 1] if middle else -1
        while low <= high:
            middle = (low + high) >> 1
            seen = self.labels[middle]
            if seen == label:
                return self.targets[middle]
            if seen < label:
                low = middle + 1
            else:
                high = middle - 1
        return -1

    def __len__(self) -> int:
        return self.keys

    cdef inline int32_t _step(self, int32_t state, uint32_t label) noexcept:
        cdef int32_t step
        while True:
            step = self._child(state, label)
            if step >= 0:
                return step
            if state == 0:
                return 0
            state = self.fail[state]

    def find_spelled(self, str text, Spelling spelling) -> list:
        """`find` over `text` as `spelling` writes it (ends are indices of that view)."""
        cdef list found = []
        cdef Py_ssize_t length = PyUnicode_GET_LENGTH(text), index, at = -1, k
        cdef int kind = PyUnicode_KIND(text)
        cdef void* data = PyUnicode_DATA(text)
        cdef int32_t state = 0, hit, start, count
        cdef uint32_t code
        for index in range(length):
            code = PyUnicode_READ(kind, data, index)
            if code < 0x10000 and spelling.offset[code] >= 0:
                start = spelling.offset[code]
                count = spelling.length[code]
            else:
                start = -1
                count = 1
            for k in range(count):
                at += 1
                state = self._step(state, spelling.chars[start + k] if start >= 0 else code)
                hit = self.output[state]
                while hit >= 0:
                    found.append((at, self.values[hit]))
                    hit = self.more[hit]
        return found

    def find(self, str text) -> list:
        """Every (index of the last character, value) of a key occurring in `text`."""
        cdef list found = []
        cdef Py_ssize_t length = PyUnicode_GET_LENGTH(text), index
        cdef int kind = PyUnicode_KIND(text)
        cdef void* data = PyUnicode_DATA(text)
        cdef int32_t state = 0, hit
        cdef uint32_t label
        for index in range(length):
            label = PyUnicode_READ(kind, data, index)
            state = self._step(state, label)
            hit = self.output[state]
            while hit >= 0:
                found.append((index, self.values[hit]))
                hit = self.more[hit]
        return found
