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

import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass
from operator import mul
from pathlib import Path
from typing import Any

import ahocorasick
import numpy as np

from classifiers.errors import ConfigError, NotBuiltError
from classifiers.tone_features import CharNgrams

FORMAT = "replyguard-tone"
# 1 + ln(count), looked up rather than computed per feature (messages with more n-gram
# occurrences than the table covers compute it instead).
_SUBLINEAR_TF = [0.0, 1.0, *(1.0 + math.log(c) for c in range(2, 20_002))]
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
        digest = hashlib.sha256()
        for name in ("model.json", "vocabulary.json", "weights.npz"):
            try:
                digest.update((self.directory / name).read_bytes())
            except OSError as exc:
                raise ToneModelError(f"cannot read: {exc.strerror}",
                                     path=self.directory / name) from None
        self.digest_ = digest.hexdigest()
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
        # One Aho-Corasick automaton over every n-gram and word of the vocabulary: a single C
        # pass over the message finds every feature occurrence (n-grams and words overlap, so a
        # key carries both ids). Feature ids start at 1; 0 means "not this kind of feature".
        both: dict[str, list[int]] = {}
        for i, gram in enumerate(chars):
            both.setdefault(gram, [0, 0])[0] = 1 + i
        for i, word in enumerate(words):
            both.setdefault(word, [0, 0])[1] = 1 + self.offset_ + i
        self.features_ = ahocorasick.Automaton()
        for key, (char_id, word_id) in both.items():
            self.features_.add_word(key, (char_id, word_id))
        if both:
            self.features_.make_automaton()
        # One row per feature, idf × coefficient of each label: a message gathers only its own
        # rows, which is far cheaper than a dense product over the whole vocabulary.
        idf = np.concatenate([[0.0], idf_char, idf_word])
        self.idf_squared_: list[float] = (idf * idf).tolist()
        self.table_ = np.ascontiguousarray(
            np.vstack([np.zeros(len(labels)), coef.T]) * idf[:, None])
        self.intercept_ = intercept
        self.intercept_list_: list[float] = intercept.tolist()
        return self

    @property
    def version(self) -> str:
        """Content hash of the artefact: a retrained model is a new version even when it was
        trained on the same data with other settings."""
        return self.digest_[:12]

    def predict(self, normalized: str) -> ToneScores:
        """Tone of one message, given its normalised (base view) text."""
        if not hasattr(self, "features_"):
            raise NotBuiltError("ToneClassifier.predict() called before load()")
        # Per message: one automaton pass finds the features (n-grams are counted on the text
        # as CharNgrams prepares it; words hold no whitespace, so their counts are the same as
        # in the original), counting and sums run in C (Counter, sum over list.__getitem__),
        # numpy is called once to gather and weight the message's rows, and the six logits come
        # back as Python floats: memory traffic and numpy's per-call overhead, not arithmetic,
        # are what cost at this size.
        text = self.char_analyzer_.prepare(normalized)
        occurrences = [ids for _, ids in self.features_.iter(text)] if text and \
            len(self.features_) else []
        positions: list[int] = []
        scales: list[float] = []
        idf_squared = self.idf_squared_
        char_ids, word_ids = zip(*occurrences) if occurrences else ((), ())
        for found in (list(filter(None, char_ids)), list(filter(None, word_ids))):
            if not found:
                continue
            features = list(dict.fromkeys(found))
            if len(features) == len(found):  # every feature once: sublinear tf is 1
                inverse = 1.0 / math.sqrt(sum(map(idf_squared.__getitem__, features)))
                scales += [inverse] * len(features)
            else:  # some repeat (punctuation, 的): tf weight 1 + log(count)
                counts = Counter(found)
                if len(found) < len(_SUBLINEAR_TF):  # every count is in the table
                    tf = list(map(_SUBLINEAR_TF.__getitem__, map(counts.__getitem__, features)))
                else:
                    tf = [1.0 + math.log(counts[f]) for f in features]
                inverse = 1.0 / math.sqrt(sum(map(mul, map(mul, tf, tf),
                                                  map(idf_squared.__getitem__, features))))
                scales += map(inverse.__mul__, tf)
            positions += features
        logits = self.intercept_list_
        if positions:
            products = (np.asarray(scales) @ self.table_[positions]).tolist()
            logits = [a + b for a, b in zip(logits, products)]
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        total = sum(exps)
        scores = dict(zip(self.labels_, [e / total for e in exps]))
        return ToneScores(self.labels_[logits.index(top)], scores)


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
