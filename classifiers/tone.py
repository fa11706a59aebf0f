"""ToneClassifier: the reply-tone model (polite / cold / perfunctory / sarcastic / abusive),
scored on its own weights.

The model is trained as a scikit-learn pipeline (tone_training.py) and exported as plain data —
`model.json` (labels, settings, metrics, training-data hash), `vocabulary.json` and
`weights.npz` — so loading unpickles nothing and a model file cannot run code. Inference here
reproduces `pipeline.predict_proba([text])` (TF-IDF with sublinear tf and l2 norm per feature
block, then a multinomial logistic regression) without scikit-learn's per-call overhead; a test
pins the two together to 1e-6 on the held-out split.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ahocorasick
import numpy as np

from classifiers.errors import ConfigError, NotBuiltError
from classifiers.tone_features import CharNgrams

FORMAT = "replyguard-tone"
_BITS = 21  # enough for every Unicode code point
_MAX_FAST_N = 3  # three 21-bit code points fit an int64 key
FORMAT_VERSION = 1


class ToneModelError(ConfigError):
    """The tone model artefact is missing, damaged, or of another format version."""


@dataclass(frozen=True, slots=True)
class ToneScores:
    """Probability per label (summing to 1) and the most probable label."""

    label: str
    scores: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "scores": {k: round(v, 4) for k, v in self.scores.items()}}


class ToneClassifier:
    """Constructed from an artefact directory; `load()` reads it once."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    @classmethod
    def from_directory(cls, directory: Path | str) -> ToneClassifier:
        return cls(directory).load()

    def load(self) -> ToneClassifier:
        meta = _read_json(self.directory / "model.json")
        if meta.get("format") != FORMAT:
            raise ToneModelError(f"not a ReplyGuard tone model (format {meta.get('format')!r})",
                                 path=self.directory / "model.json")
        if meta.get("format_version") != FORMAT_VERSION:
            raise ToneModelError(
                f"tone model format version {meta.get('format_version')!r} is not supported "
                f"(this ReplyGuard reads version {FORMAT_VERSION}); retrain it with "
                "`replyguard train`", path=self.directory / "model.json")
        vocabulary = _read_json(self.directory / "vocabulary.json")
        try:
            with np.load(self.directory / "weights.npz", allow_pickle=False) as weights:
                coef = np.asarray(weights["coef"], dtype=np.float64)
                intercept = np.asarray(weights["intercept"], dtype=np.float64)
                idf_char = np.asarray(weights["idf_char"], dtype=np.float64)
                idf_word = np.asarray(weights["idf_word"], dtype=np.float64)
        except (OSError, KeyError, ValueError) as exc:
            raise ToneModelError(f"cannot read weights: {exc}",
                                 path=self.directory / "weights.npz") from None
        chars, words = vocabulary["char"], vocabulary["word"]
        labels = meta["labels"]
        if coef.shape != (len(labels), len(chars) + len(words)) or len(idf_char) != len(chars) \
                or len(idf_word) != len(words) or intercept.shape != (len(labels),):
            raise ToneModelError("weights do not match the vocabulary and labels",
                                 path=self.directory)
        settings = meta["features"]
        self.meta_ = meta
        self.labels_: tuple[str, ...] = tuple(labels)
        self.char_analyzer_ = CharNgrams(settings["char"]["min_n"], settings["char"]["max_n"])
        self.offset_ = len(chars)
        if self.char_analyzer_.max_n > _MAX_FAST_N:
            raise ToneModelError(f"character n-grams longer than {_MAX_FAST_N} are not "
                                 "supported by the fast path", path=self.directory)
        # Feature ids start at 1; id 0 is "not in the vocabulary" (a zero row, zero idf).
        # An n-gram's key packs its code points, 21 bits each: unigrams < 2**21 <= bigrams <
        # 2**42 <= trigrams, so keys of different lengths never collide.
        keys = np.array([_gram_key(gram) for gram in chars], dtype=np.int64)
        order = np.argsort(keys)
        self.gram_keys_ = keys[order] if len(keys) else np.zeros(1, dtype=np.int64)
        self.gram_ids_ = (order + 1).astype(np.intp) if len(keys) else np.zeros(1, np.intp)
        self.word_automaton_ = ahocorasick.Automaton()
        for i, word in enumerate(words):
            self.word_automaton_.add_word(word, 1 + self.offset_ + i)
        self.word_count_ = len(words)
        if words:
            self.word_automaton_.make_automaton()
        # One row per feature: idf × coefficient of each label, then idf²; row 0 is zeros.
        idf = np.concatenate([[0.0], idf_char, idf_word])
        self.table_ = np.ascontiguousarray(np.column_stack(
            [np.vstack([np.zeros(len(labels)), coef.T]) * idf[:, None], idf * idf]))
        self.intercept_ = intercept
        self.intercept_list_: list[float] = intercept.tolist()
        return self

    @property
    def version(self) -> str:
        return str(self.meta_.get("training", {}).get("data_sha256", ""))[:12]

    def _char_ids(self, normalized: str) -> np.ndarray:
        """Feature ids of the message's character n-grams that are in the vocabulary."""
        text = self.char_analyzer_.prepare(normalized)
        if not text:
            return _NO_IDS
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        parts = [codes] if self.char_analyzer_.min_n <= 1 else []
        longer = codes
        for n in range(2, self.char_analyzer_.max_n + 1):
            if len(longer) < 2:
                break
            longer = (longer[:-1] << _BITS) | codes[n - 1:]
            if n >= self.char_analyzer_.min_n:
                parts.append(longer)
        if not parts:
            return _NO_IDS
        keys = np.concatenate(parts) if len(parts) > 1 else parts[0]
        where = np.searchsorted(self.gram_keys_, keys)
        np.minimum(where, len(self.gram_keys_) - 1, out=where)
        ids: np.ndarray = self.gram_ids_[where[self.gram_keys_[where] == keys]]
        return ids

    def predict(self, normalized: str) -> ToneScores:
        """Tone of one message, given its normalised (base view) text."""
        if not hasattr(self, "gram_keys_"):
            raise NotBuiltError("ToneClassifier.predict() called before load()")
        # Per message: n-gram lookups are one vectorised binary search over the sorted integer
        # keys of the vocabulary, words come with their ids straight from the Aho-Corasick pass,
        # and ONE gather brings each feature's row (idf × coefficients, then idf²) so that the
        # norms and the linear layer work on a small contiguous array. Memory traffic, not
        # arithmetic, is what costs at this size: a message touches only its own rows.
        char_ids = self._char_ids(normalized)
        word_ids = np.fromiter((value for _, value in self.word_automaton_.iter(normalized)),
                               dtype=np.intp) if self.word_count_ else _NO_IDS
        blocks = [_unique_counts(ids) for ids in (char_ids, word_ids) if ids.size]
        logits = self.intercept_list_
        if blocks:
            features = np.concatenate([ids for ids, _ in blocks]) if len(blocks) > 1 \
                else blocks[0][0]
            weights = np.concatenate([tf for _, tf in blocks]) if len(blocks) > 1 \
                else blocks[0][1]
            rows = self.table_[features]
            squares = weights * weights * rows[:, -1]
            start = 0
            for ids, _ in blocks:  # l2 norm of each block (char n-grams, words) on its own
                end = start + len(ids)
                weights[start:end] /= math.sqrt(float(squares[start:end].sum()))
                start = end
            products = (weights @ rows[:, :-1]).tolist()
            logits = [a + b for a, b in zip(logits, products)]
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        total = sum(exps)
        scores = {label: e / total for label, e in zip(self.labels_, exps)}
        return ToneScores(max(scores, key=scores.__getitem__), scores)


_NO_IDS = np.zeros(0, dtype=np.intp)


def _unique_counts(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct feature ids and their sublinear tf weights, 1 + log(count)."""
    ids = np.sort(ids)
    if ids.size < 2 or bool((ids[1:] != ids[:-1]).all()):
        return ids, np.ones(ids.size)
    distinct, counts = np.unique(ids, return_counts=True)
    return distinct, 1.0 + np.log(counts)


def _gram_key(gram: str) -> int:
    key = 0
    for ch in gram:
        key = (key << _BITS) | ord(ch)
    return key


def _read_json(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise ToneModelError("tone model file not found", path=path) from None
    except (OSError, ValueError) as exc:
        raise ToneModelError(f"cannot read tone model file: {exc}", path=path) from None
    if not isinstance(data, dict):
        raise ToneModelError("tone model file is not a JSON object", path=path)
    return data
