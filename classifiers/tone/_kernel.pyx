# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The tone model's per-message arithmetic in C: the same numbers as tone.py's Python path
(and so as scikit-learn's pipeline), without a Python object per feature occurrence.

A key is a vocabulary string (character n-gram, word, or both) with one row of weights (see
ToneClassifier._build). Keys of up to three characters are packed exactly into one integer
(21 bits per code point under a marker bit that encodes the length) and found in an
open-addressing table by probing every substring of length 1-3; the few longer keys (words of
4+ characters) sit in a second table of (first three, rest) pairs, probed only at positions
whose character starts one of them.
"""

from cpython.unicode cimport PyUnicode_GET_LENGTH, PyUnicode_READ, PyUnicode_KIND, PyUnicode_DATA
from libc.math cimport exp, log, sqrt
from libc.stdint cimport int32_t, uint64_t, uint8_t
from libc.stdlib cimport free, malloc, qsort

import numpy as np

DEF SHORT = 3
DEF BITS = 21


cdef inline uint64_t _mix(uint64_t a, uint64_t b) noexcept nogil:
    cdef uint64_t h = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL) * 0xC2B2AE3D27D4EB4FULL
    return h ^ (h >> 31)


cdef int _compare(const void* a, const void* b) noexcept nogil:
    cdef int32_t x = (<const int32_t*> a)[0], y = (<const int32_t*> b)[0]
    return (x > y) - (x < y)


cdef void _sort_ints(int32_t* values, Py_ssize_t n) noexcept nogil:
    # insertion sort for the usual tens of occurrences, qsort for long messages
    cdef Py_ssize_t i, j
    cdef int32_t v
    if n > 64:
        qsort(values, n, sizeof(int32_t), _compare)
        return
    for i in range(1, n):
        v = values[i]
        j = i - 1
        while j >= 0 and values[j] > v:
            values[j + 1] = values[j]
            j -= 1
        values[j + 1] = v


cdef class ToneKernel:
    # (key, row + 1) pairs side by side, so a probe reads one cache line; row + 1 == 0: empty
    cdef uint64_t[::1] short_table
    cdef uint64_t short_mask
    cdef uint64_t[::1] long_first
    cdef uint64_t[::1] long_rest
    cdef uint8_t[::1] long_length
    cdef int32_t[::1] long_rows
    cdef uint64_t long_mask
    cdef uint8_t[::1] long_starts  # bitmap of BMP code points that start a long key
    cdef bint any_long
    cdef int max_length
    cdef double[:, ::1] rows
    cdef double[::1] intercept
    cdef int n_labels

    def __init__(self, keys, rows, intercept):
        """`keys[i]` is the string whose weights are `rows[i]`; a row holds the n-gram block's
        idf × coefficients per label, the word block's, then the n-gram's and the word's idf²."""
        self.rows = np.ascontiguousarray(rows, dtype=np.float64)
        self.intercept = np.ascontiguousarray(intercept, dtype=np.float64)
        self.n_labels = len(intercept)
        if self.rows.shape[0] != len(keys) or self.rows.shape[1] != 2 * self.n_labels + 2:
            raise ValueError("rows do not match the keys and labels")
        short = [(i, k) for i, k in enumerate(keys) if 0 < len(k) <= SHORT]
        long = [(i, k) for i, k in enumerate(keys) if len(k) > SHORT]
        if len(short) + len(long) != len(keys):
            raise ValueError("empty key")
        size = _table_size(len(short))
        self.short_mask = size - 1
        table = np.zeros(2 * size, dtype=np.uint64)
        for row, key in short:
            packed = _pack(key)
            slot = _mix(packed, 0) & self.short_mask
            while table[2 * slot + 1]:
                slot = (slot + 1) & self.short_mask
            table[2 * slot] = packed
            table[2 * slot + 1] = row + 1
        self.short_table = table
        size = _table_size(len(long))
        self.long_mask = size - 1
        first = np.zeros(size, dtype=np.uint64)
        rest = np.zeros(size, dtype=np.uint64)
        length = np.zeros(size, dtype=np.uint8)
        long_rows = np.full(size, -1, dtype=np.int32)
        starts = np.zeros(0x10000 // 8, dtype=np.uint8)
        self.max_length = SHORT
        for row, key in long:
            if len(key) > 2 * SHORT:
                raise ValueError(f"vocabulary key longer than {2 * SHORT} characters: {key!r}")
            a, b = _pack(key[:SHORT]), _pack(key[SHORT:])
            slot = (_mix(a, b) ^ len(key)) & self.long_mask
            while long_rows[slot] >= 0:
                slot = (slot + 1) & self.long_mask
            first[slot], rest[slot], length[slot], long_rows[slot] = a, b, len(key), row
            code = ord(key[0])
            if code < 0x10000:
                starts[code >> 3] |= 1 << (code & 7)
            else:
                starts[:] = 0xFF  # an astral start: probe everywhere (no shipped key does)
            self.max_length = max(self.max_length, len(key))
        self.long_first, self.long_rest, self.long_length = first, rest, length
        self.long_rows, self.long_starts = long_rows, starts
        self.any_long = bool(long)

    def probabilities(self, str text):
        """(probability per label in the rows' label order, index of the most probable)."""
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text)
        cdef int kind = PyUnicode_KIND(text)
        cdef void* data = PyUnicode_DATA(text)
        cdef Py_ssize_t capacity = n * self.max_length + 1
        cdef int32_t stack_buffer[1024]
        cdef int32_t* found = stack_buffer
        if capacity > 1024:
            found = <int32_t*> malloc(capacity * sizeof(int32_t))
            if found == NULL:
                raise MemoryError()
        try:
            return self._score(text, n, kind, data, found)
        finally:
            if found != stack_buffer:
                free(found)

    cdef object _score(self, str text, Py_ssize_t n, int kind, void* data, int32_t* found):
        cdef Py_ssize_t i, k, count = 0, start, run
        cdef uint64_t packed, slot, a, b, entry
        cdef uint64_t code
        cdef int32_t row
        cdef int L = self.n_labels
        cdef int j, length
        cdef double tf, char_norm = 0.0, word_norm = 0.0, char_scale, word_scale, top, total
        cdef double sums[64]
        cdef double logits[32]
        if L > 32:
            raise ValueError("more than 32 labels")
        for i in range(n):
            packed = 1
            for k in range(SHORT):
                if i + k >= n:
                    break
                packed = (packed << BITS) | <uint64_t> PyUnicode_READ(kind, data, i + k)
                slot = _mix(packed, 0) & self.short_mask
                while True:
                    entry = self.short_table[2 * slot + 1]
                    if entry == 0:
                        break
                    if self.short_table[2 * slot] == packed:
                        found[count] = <int32_t> (entry - 1)
                        count += 1
                        break
                    slot = (slot + 1) & self.short_mask
            if not self.any_long or i + SHORT >= n:
                continue
            code = PyUnicode_READ(kind, data, i)
            if code < 0x10000 and not (self.long_starts[code >> 3] >> (code & 7)) & 1:
                continue
            a = 1
            for k in range(SHORT):
                a = (a << BITS) | <uint64_t> PyUnicode_READ(kind, data, i + k)
            b = 1
            for length in range(SHORT + 1, self.max_length + 1):
                if i + length > n:
                    break
                b = (b << BITS) | <uint64_t> PyUnicode_READ(kind, data, i + length - 1)
                slot = (_mix(a, b) ^ <uint64_t> length) & self.long_mask
                while True:
                    row = self.long_rows[slot]
                    if row < 0:
                        break
                    if self.long_first[slot] == a and self.long_rest[slot] == b \
                            and self.long_length[slot] == length:
                        found[count] = row
                        count += 1
                        break
                    slot = (slot + 1) & self.long_mask
        for j in range(2 * L):
            sums[j] = 0.0
        _sort_ints(found, count)
        start = 0
        while start < count:
            run = 1
            while start + run < count and found[start + run] == found[start]:
                run += 1
            tf = 1.0 + log(<double> run)  # sublinear tf
            row = found[start]
            for j in range(2 * L):
                sums[j] += tf * self.rows[row, j]
            char_norm += tf * tf * self.rows[row, 2 * L]
            word_norm += tf * tf * self.rows[row, 2 * L + 1]
            start += run
        # l2 norm per block; a block with no feature stays zero, as in scikit-learn
        char_scale = 1.0 / sqrt(char_norm) if char_norm > 0.0 else 0.0
        word_scale = 1.0 / sqrt(word_norm) if word_norm > 0.0 else 0.0
        best = 0
        for j in range(L):
            logits[j] = self.intercept[j] + sums[j] * char_scale + sums[L + j] * word_scale
            if logits[j] > logits[best]:
                best = j
        top = logits[best]
        total = 0.0
        for j in range(L):
            logits[j] = exp(logits[j] - top)
            total += logits[j]
        return [logits[j] / total for j in range(L)], best


cdef uint64_t _pack(str key) except? 0:
    cdef uint64_t packed = 1
    for ch in key:
        packed = (packed << BITS) | <uint64_t> ord(ch)
    return packed


def _table_size(Py_ssize_t entries):
    size = 16
    while size < 2 * entries:
        size *= 2
    return size
