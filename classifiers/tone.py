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
        self.char_index_ = {gram: i for i, gram in enumerate(chars)}
        self.word_index_ = {word: i for i, word in enumerate(words)}
        self.idf_char_ = idf_char.tolist()
        self.idf_word_ = idf_word.tolist()
        self.offset_ = len(chars)
        # Row per feature: adding a message's few rows is cheaper than a dense matrix product.
        self.weights_ = np.ascontiguousarray(coef.T)
        self.intercept_ = intercept
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
        indices, values = _block(self.char_analyzer_(normalized), char_index, self.idf_char_, 0)
        word_indices, word_values = _block(self.word_analyzer_(normalized), self.word_index_,
                                           self.idf_word_, self.offset_)
        indices += word_indices
        values += word_values
        logits = self.intercept_.copy()
        if indices:
            logits += np.asarray(values) @ self.weights_[indices]
        top = float(logits.max())
        exps = [math.exp(float(v) - top) for v in logits]
        total = sum(exps)
        scores = {label: e / total for label, e in zip(self.labels_, exps)}
        return ToneScores(max(scores, key=scores.__getitem__), scores)


def _block(tokens: list[str], index: dict[str, int], idf: list[float],
           offset: int) -> tuple[list[int], list[float]]:
    """Sublinear-tf × idf, l2-normalised, for one feature block (as TfidfVectorizer does)."""
    counts: dict[int, int] = {}
    for token in tokens:
        position = index.get(token)
        if position is not None:
            counts[position] = counts.get(position, 0) + 1
    if not counts:
        return [], []
    positions = list(counts)
    values = [(1.0 + math.log(counts[p])) * idf[p] for p in positions]
    norm = math.sqrt(sum(v * v for v in values))
    return [p + offset for p in positions], [v / norm for v in values]


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
