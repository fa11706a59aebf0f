# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The text models' per-message arithmetic in C: the same numbers as their Python paths (and so
as scikit-learn's), without a Python object per feature occurrence. `ToneKernel` scores the
linear n-gram models (tone, intent, invitation); `GramWeights` and `shared_bigrams` are the answer
model's reading of the reply's characters (classifiers/tone/answer.py).

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


ctypedef fused _Sortable:
    int32_t
    uint64_t


cdef int _compare_int32(const void* a, const void* b) noexcept nogil:
    cdef int32_t x = (<const int32_t*> a)[0], y = (<const int32_t*> b)[0]
    return (x > y) - (x < y)


cdef int _compare_uint64(const void* a, const void* b) noexcept nogil:
    cdef uint64_t x = (<const uint64_t*> a)[0], y = (<const uint64_t*> b)[0]
    return (x > y) - (x < y)


cdef void _sort(_Sortable* values, Py_ssize_t n) noexcept nogil:
    # insertion sort for the usual tens of occurrences, qsort for long messages
    cdef Py_ssize_t i, j
    cdef _Sortable v
    if n > 64:
        if _Sortable is int32_t:
            qsort(values, n, sizeof(int32_t), _compare_int32)
        else:
            qsort(values, n, sizeof(uint64_t), _compare_uint64)
        return
    for i in range(1, n):
        v = values[i]
        j = i - 1
        while j >= 0 and values[j] > v:
            values[j + 1] = values[j]
            j -= 1
        values[j + 1] = v


cdef class _Head:
    """One model's weights over a kernel's key table: its row per key (-1: not its key)."""
    cdef int32_t[::1] row_of
    cdef double[:, ::1] rows
    cdef double[::1] intercept
    cdef int n_labels
    cdef bint identity  # row_of[k] == k for every key: the kernel of one model

    def __init__(self, row_of, rows, intercept, identity):
        self.row_of = np.ascontiguousarray(row_of, dtype=np.int32)
        self.rows = np.ascontiguousarray(rows, dtype=np.float64)
        self.intercept = np.ascontiguousarray(intercept, dtype=np.float64)
        self.n_labels = len(intercept)
        self.identity = identity
        if self.n_labels > 32:
            raise ValueError("more than 32 labels")
        if self.rows.shape[1] != 2 * self.n_labels + 2:
            raise ValueError("rows do not match the labels")


cdef class ToneKernel:
    # (key, key id + 1) pairs side by side, so a probe reads one cache line; 0: empty
    cdef uint64_t[::1] short_table
    cdef uint64_t short_mask
    cdef uint64_t[::1] long_first
    cdef uint64_t[::1] long_rest
    cdef uint8_t[::1] long_length
    cdef int32_t[::1] long_ids
    cdef uint64_t long_mask
    cdef uint8_t[::1] long_starts  # bitmap of BMP code points that start a long key
    cdef bint any_long
    cdef int max_length
    cdef list heads
    cdef readonly list keys

    def __init__(self, keys, rows, intercept):
        """`keys[i]` is the string whose weights are `rows[i]`; a row holds the n-gram block's
        idf × coefficients per label, the word block's, then the n-gram's and the word's idf²."""
        if np.shape(rows)[0] != len(keys):
            raise ValueError("rows do not match the keys and labels")
        self._index(list(keys))
        self.heads = [_Head(np.arange(len(keys), dtype=np.int32), rows, intercept, True)]

    @staticmethod
    def shared(kernels):
        """One kernel over the keys of several one-model kernels, whose `scores` gives each
        model's result from one pass over a text they all read: the same numbers as each
        kernel alone (every model sums its own rows in its own order)."""
        cdef ToneKernel joint = ToneKernel.__new__(ToneKernel)
        every = list(dict.fromkeys(key for kernel in kernels for key in kernel.keys))
        ids = {key: i for i, key in enumerate(every)}
        joint._index(every)
        joint.heads = []
        for kernel in kernels:
            head = (<ToneKernel> kernel).heads[0]
            if len((<ToneKernel> kernel).heads) != 1:
                raise ValueError("only one-model kernels can be shared")
            row_of = np.full(len(every), -1, dtype=np.int32)
            for row, key in enumerate(kernel.keys):
                row_of[ids[key]] = row
            joint.heads.append(_Head(row_of, np.asarray((<_Head> head).rows),
                                     np.asarray((<_Head> head).intercept), False))
        return joint

    def _index(self, list keys):
        """The key tables: every key of up to SHORT characters packed into one integer, the
        longer ones as (first SHORT, rest) pairs; each found gives its key id."""
        self.keys = keys
        short = [(i, k) for i, k in enumerate(keys) if 0 < len(k) <= SHORT]
        long = [(i, k) for i, k in enumerate(keys) if len(k) > SHORT]
        if len(short) + len(long) != len(keys):
            raise ValueError("empty key")
        size = _table_size(len(short))
        self.short_mask = size - 1
        table = np.zeros(2 * size, dtype=np.uint64)
        for key_id, key in short:
            packed = _pack(key)
            slot = _mix(packed, 0) & self.short_mask
            while table[2 * slot + 1]:
                slot = (slot + 1) & self.short_mask
            table[2 * slot] = packed
            table[2 * slot + 1] = key_id + 1
        self.short_table = table
        size = _table_size(len(long))
        self.long_mask = size - 1
        first = np.zeros(size, dtype=np.uint64)
        rest = np.zeros(size, dtype=np.uint64)
        length = np.zeros(size, dtype=np.uint8)
        long_ids = np.full(size, -1, dtype=np.int32)
        starts = np.zeros(0x10000 // 8, dtype=np.uint8)
        self.max_length = SHORT
        for key_id, key in long:
            if len(key) > 2 * SHORT:
                raise ValueError(f"vocabulary key longer than {2 * SHORT} characters: {key!r}")
            a, b = _pack(key[:SHORT]), _pack(key[SHORT:])
            slot = (_mix(a, b) ^ len(key)) & self.long_mask
            while long_ids[slot] >= 0:
                slot = (slot + 1) & self.long_mask
            first[slot], rest[slot], length[slot], long_ids[slot] = a, b, len(key), key_id
            code = ord(key[0])
            if code < 0x10000:
                starts[code >> 3] |= 1 << (code & 7)
            else:
                starts[:] = 0xFF  # an astral start: probe everywhere (no shipped key does)
            self.max_length = max(self.max_length, len(key))
        self.long_first, self.long_rest, self.long_length = first, rest, length
        self.long_ids, self.long_starts = long_ids, starts
        self.any_long = bool(long)

    def probabilities(self, str text):
        """(probability per label in the rows' label order, index of the most probable), of
        the first model."""
        return self._scored(text, None, -1)

    def probability(self, str text, int label):
        """The probability of label number `label` alone: `probabilities(text)[0][label]`
        without a list per message (the invitation model asks for one label)."""
        return self._scored(text, None, label)

    def scores(self, str text, labels):
        """Per model (a kernel made by `shared`), for `labels[i]` -1 what `probabilities`
        gives, else the probability of that label alone, as `probability` gives."""
        if len(labels) != len(self.heads):
            raise ValueError("one label per model")
        return self._scored(text, labels, 0)

    cdef object _scored(self, str text, labels, int label):
        """`labels` None: the first model's result for `label`; else a list, one per model."""
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text)
        cdef int kind = PyUnicode_KIND(text)
        cdef void* data = PyUnicode_DATA(text)
        cdef Py_ssize_t capacity = n * self.max_length + 1
        cdef int32_t stack_found[1024]
        cdef int32_t stack_rows[1024]
        cdef int32_t* found = stack_found
        cdef int32_t* rows = stack_rows
        cdef Py_ssize_t count
        if capacity > 1024:
            found = <int32_t*> malloc(capacity * sizeof(int32_t))
            rows = <int32_t*> malloc(capacity * sizeof(int32_t))
            if found == NULL or rows == NULL:
                free(found)
                free(rows)
                raise MemoryError()
        try:
            count = self._probe(n, kind, data, found)
            if labels is None:
                return _head_scores(<_Head> self.heads[0], found, count, rows, label)
            return [_head_scores(<_Head> head, found, count, rows, each)
                    for head, each in zip(self.heads, labels)]
        finally:
            if found != stack_found:
                free(found)
                free(rows)

    cdef Py_ssize_t _probe(self, Py_ssize_t n, int kind, void* data, int32_t* found):
        """The key id of every key occurrence in the text, in text order."""
        cdef Py_ssize_t i, k, count = 0
        cdef uint64_t packed, slot, a, b, entry
        cdef uint64_t code
        cdef int32_t key_id
        cdef int length
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
                    key_id = self.long_ids[slot]
                    if key_id < 0:
                        break
                    if self.long_first[slot] == a and self.long_rest[slot] == b \
                            and self.long_length[slot] == length:
                        found[count] = key_id
                        count += 1
                        break
                    slot = (slot + 1) & self.long_mask
        return count


cdef object _head_scores(_Head head, int32_t* found, Py_ssize_t found_count, int32_t* rows,
                         int label):
    """One model's probabilities from the key ids found (see ToneKernel.scores for `label`);
    `rows` is scratch space for as many entries as `found`, unused by a one-model kernel's head,
    which sorts `found` itself (its key ids are its rows)."""
    cdef Py_ssize_t i, count = 0, start, run
    cdef int32_t row
    cdef int L = head.n_labels
    cdef int j, best
    cdef double tf, char_norm = 0.0, word_norm = 0.0, char_scale, word_scale, top, total
    cdef double sums[64]
    cdef double logits[32]
    if not -1 <= label < L:
        raise IndexError("no such label")
    if head.identity:
        rows, count = found, found_count
    else:
        for i in range(found_count):
            row = head.row_of[found[i]]
            if row >= 0:
                rows[count] = row
                count += 1
    for j in range(2 * L):
        sums[j] = 0.0
    _sort(rows, count)
    start = 0
    while start < count:
        run = 1
        while start + run < count and rows[start + run] == rows[start]:
            run += 1
        tf = 1.0 + log(<double> run)  # sublinear tf
        row = rows[start]
        for j in range(2 * L):
            sums[j] += tf * head.rows[row, j]
        char_norm += tf * tf * head.rows[row, 2 * L]
        word_norm += tf * tf * head.rows[row, 2 * L + 1]
        start += run
    # l2 norm per block; a block with no feature stays zero, as in scikit-learn
    char_scale = 1.0 / sqrt(char_norm) if char_norm > 0.0 else 0.0
    word_scale = 1.0 / sqrt(word_norm) if word_norm > 0.0 else 0.0
    best = 0
    for j in range(L):
        logits[j] = head.intercept[j] + sums[j] * char_scale + sums[L + j] * word_scale
        if logits[j] > logits[best]:
            best = j
    top = logits[best]
    total = 0.0
    for j in range(L):
        logits[j] = exp(logits[j] - top)
        total += logits[j]
    if label >= 0:
        return logits[label] / total
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


cdef Py_ssize_t _bigrams_sorted(str text, uint64_t* out) noexcept:
    """The packed bigrams of `text` (one per position), sorted; returns how many."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    if n < 2:
        return 0
    for i in range(n - 1):
        out[i] = (((<uint64_t> 1 << BITS) | <uint64_t> PyUnicode_READ(kind, data, i)) << BITS) \
            | <uint64_t> PyUnicode_READ(kind, data, i + 1)
    _sort(out, n - 1)
    return n - 1


def shared_bigrams(str first, str second):
    """How many distinct character bigrams `first` and `second` have in common: the answer
    model's overlap feature (answer.py's `_shared_bigrams`, which defines it)."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(first), m = PyUnicode_GET_LENGTH(second)
    cdef Py_ssize_t a_count, b_count, i = 0, j = 0, shared = 0
    cdef uint64_t a_stack[256]
    cdef uint64_t b_stack[256]
    cdef uint64_t* a = a_stack
    cdef uint64_t* b = b_stack
    cdef uint64_t value
    if n < 2 or m < 2:
        return 0
    try:
        if n > 256:
            a = <uint64_t*> malloc(n * sizeof(uint64_t))
        if m > 256:
            b = <uint64_t*> malloc(m * sizeof(uint64_t))
        if a == NULL or b == NULL:
            raise MemoryError()
        a_count = _bigrams_sorted(first, a)
        b_count = _bigrams_sorted(second, b)
        # merge the two sorted lists, counting each common value once
        while i < a_count and j < b_count:
            if a[i] < b[j]:
                i += 1
            elif a[i] > b[j]:
                j += 1
            else:
                value = a[i]
                shared += 1
                while i < a_count and a[i] == value:
                    i += 1
                while j < b_count and b[j] == value:
                    j += 1
        return shared
    finally:
        if a != a_stack and a != NULL:
            free(a)
        if b != b_stack and b != NULL:
            free(b)


cdef class GramWeights:
    """Weights of character unigrams and bigrams in a few columns (the answer model's: one per
    needs-an-answer mark), summed over the distinct grams of a text: the answer model's
    weight look-ups for the reply's characters (answer.py's `_grams` defines which grams)."""

    cdef uint64_t[::1] keys  # packed gram per slot, 0: empty
    cdef double[:, ::1] weights
    cdef uint64_t mask
    cdef int columns

    def __init__(self, grams, weights):
        """`grams[i]` (one or two characters) has the weights `weights[i]`, one per column."""
        weights = np.ascontiguousarray(weights, dtype=np.float64)
        if weights.ndim != 2 or weights.shape[0] != len(grams):
            raise ValueError("weights do not match the grams")
        size = _table_size(len(grams))
        self.mask = size - 1
        self.columns = weights.shape[1]
        keys = np.zeros(size, dtype=np.uint64)
        table = np.zeros((size, self.columns), dtype=np.float64)
        for index, gram in enumerate(grams):
            if not 1 <= len(gram) <= 2:
                raise ValueError(f"not a unigram or bigram: {gram!r}")
            packed = _pack(gram)
            slot = _mix(packed, 0) & self.mask
            while keys[slot]:
                if keys[slot] == packed:
                    raise ValueError(f"gram given twice: {gram!r}")
                slot = (slot + 1) & self.mask
            keys[slot] = packed
            table[slot] = weights[index]
        self.keys, self.weights = keys, table

    def total(self, str chunks, int column):
        """The sum, in `column`, of the weights of the distinct unigrams of `chunks` and of its
        bigrams within a chunk (chunks are separated by spaces)."""
        cdef Py_ssize_t n = PyUnicode_GET_LENGTH(chunks), i, count = 0
        cdef int kind = PyUnicode_KIND(chunks)
        cdef void* data = PyUnicode_DATA(chunks)
        cdef uint64_t stack_buffer[512]
        cdef uint64_t* grams = stack_buffer
        cdef uint64_t c, previous = 0, slot, packed
        cdef bint after_char = False
        cdef double total = 0.0
        if not 0 <= column < self.columns:
            raise IndexError("no such column")
        if 2 * n > 512:
            grams = <uint64_t*> malloc(2 * n * sizeof(uint64_t))
            if grams == NULL:
                raise MemoryError()
        try:
            for i in range(n):
                c = PyUnicode_READ(kind, data, i)
                if c == 0x20:
                    after_char = False
                    continue
                grams[count] = (<uint64_t> 1 << BITS) | c
                count += 1
                if after_char:
                    grams[count] = (((<uint64_t> 1 << BITS) | previous) << BITS) | c
                    count += 1
                previous, after_char = c, True
            _sort(grams, count)
            for i in range(count):
                packed = grams[i]
                if i and packed == grams[i - 1]:
                    continue  # the features are binary: each gram once
                slot = _mix(packed, 0) & self.mask
                while self.keys[slot]:
                    if self.keys[slot] == packed:
                        total += self.weights[slot, column]
                        break
                    slot = (slot + 1) & self.mask
            return total
        finally:
            if grams != stack_buffer:
                free(grams)
