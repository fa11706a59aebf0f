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
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.errors import ConfigError, NotBuiltError
from classifiers.tone_features import CharNgrams, VocabularyWords

FORMAT = "replyguard-tone"
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
        self.word_analyzer_ = VocabularyWords(words)
        self.offset_ = len(chars)
        # Feature ids start at 1; id 0 is "not in the vocabulary" (a zero row, zero idf).
        self.char_index_ = {gram: 1 + i for i, gram in enumerate(chars)}
        self.word_index_ = {word: 1 + self.offset_ + i for i, word in enumerate(words)}
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
        return str(self.meta_.get("training", {}).get("data_sha256", ""))[:12]

    def predict(self, normalized: str) -> ToneScores:
        """Tone of one message, given its normalised (base view) text."""
        try:
            char_index = self.char_index_
        except AttributeError:
            raise NotBuiltError("ToneClassifier.predict() called before load()") from None
        # Per message: lookups, counting and sums run in C (map, filter, set, sum over
        # list.__getitem__), numpy is called once to gather and weight the message's rows, and
        # the six logits come back as Python floats: numpy's per-call overhead, not arithmetic,
        # is what costs at this size. Feature ids start at 1 so that 0 means "not in the
        # vocabulary" and filter(None, …) drops it.
        positions: list[int] = []
        scales: list[float] = []
        idf_squared = self.idf_squared_
        for tokens, index in ((self.char_analyzer_(normalized), char_index),
                              (self.word_analyzer_(normalized), self.word_index_)):
            found = list(filter(None, map(index.get, tokens)))
            if not found:
                continue
            counts = Counter(found)
            features = list(counts)
            norm_squared = sum(map(idf_squared.__getitem__, features))
            block_scales = [1.0] * len(features)  # sublinear tf of a feature seen once is 1
            if len(features) != len(found):
                # A few features repeat (punctuation, 的): weight them 1 + log(tf).
                where = {feature: i for i, feature in enumerate(features)}
                for feature, count in counts.most_common():
                    if count == 1:
                        break
                    weight = 1.0 + math.log(count)
                    block_scales[where[feature]] = weight
                    norm_squared += (weight * weight - 1.0) * idf_squared[feature]
            inverse = 1.0 / math.sqrt(norm_squared)
            positions += features
            scales += [w * inverse for w in block_scales]
        logits = self.intercept_list_
        if positions:
            products = (np.asarray(scales) @ self.table_[positions]).tolist()
            logits = [a + b for a, b in zip(logits, products)]
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        total = sum(exps)
        scores = {label: e / total for label, e in zip(self.labels_, exps)}
        return ToneScores(max(scores, key=scores.__getitem__), scores)


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
