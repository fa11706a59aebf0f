"""Training, export and evaluation of the tone model (see tone.py for inference).

The scikit-learn pipeline: a FeatureUnion of two TfidfVectorizers (character 1-3-grams, and
jieba vocabulary words; both sublinear tf, l2 norm) into a multinomial LogisticRegression. It is
fitted on normalised text, the same text the keyword path sees, then exported as plain data.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from classifiers.errors import ConfigError
from classifiers.tone.classifier import FORMAT, FORMAT_VERSION
from classifiers.tone.features import CharNgrams, VocabularyWords, segment_vocabulary
from classifiers.tone.training_settings import TrainingSettings

# The reply tones. NEUTRAL is what COLD's safe comments teach: text that is neither a service
# reply nor offensive (social-media discussion); it keeps that domain out of "polite".
LABELS: tuple[str, ...] = ("polite", "cold", "perfunctory", "sarcastic", "abusive")
NEUTRAL = "neutral"
# Labels a training file may carry: the reply tones, and neutral for hand-written non-service,
# non-offensive text (tone/data/tone_train_neutral.csv: polite discussion of region, race and
# gender, the kind of text COLD's safe comments are and the model used to call abusive).
FILE_LABELS: tuple[str, ...] = (*LABELS, NEUTRAL)
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
NEAR_DUPLICATE = 0.6
_FOLD = re.compile(r"[\W_]+")


class TrainingDataError(ConfigError):
    """A training or evaluation file is unreadable or has a bad row (names file:line)."""


@dataclass(frozen=True, slots=True)
class LabelledText:
    text: str
    label: str
    weight: float = 1.0
    source: str = ""


def read_labelled(path: Path, neutral_weight: float = 1.0) -> list[LabelledText]:
    """Rows `text,label` from a CSV (header row) or JSONL file; rows labelled neutral get the
    sample weight `neutral_weight` (TrainingSettings.neutral_weight when training), others 1."""
    rows: list[LabelledText] = []
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise TrainingDataError(f"cannot read: {exc.strerror}", path=path) from None
    with handle:
        if path.suffix.lower() in {".jsonl", ".json"}:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise TrainingDataError(f"not JSON: {exc.msg}", path=path,
                                            line=number) from None
                rows.append(_row(data, path, number, neutral_weight))
        else:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
                raise TrainingDataError("needs a header with 'text' and 'label' columns",
                                        path=path, line=1)
            for number, data in enumerate(reader, start=2):
                rows.append(_row(data, path, number, neutral_weight))
    return rows


def _row(data: Any, path: Path, number: int, neutral_weight: float) -> LabelledText:
    if not isinstance(data, dict):
        raise TrainingDataError("a row must be an object with text and label", path=path,
                                line=number)
    text, label = data.get("text"), data.get("label")
    if not isinstance(text, str) or not text.strip():
        raise TrainingDataError("empty or missing text", path=path, line=number)
    if label not in FILE_LABELS:
        raise TrainingDataError(f"unknown label {label!r}; labels: {', '.join(FILE_LABELS)}",
                                path=path, line=number)
    return LabelledText(text, label, neutral_weight if label == NEUTRAL else 1.0,
                        f"{path.name}:{number}")


def read_cold(path: Path, weight: float, safe_weight: float | None = None
              ) -> list[LabelledText]:
    """COLD (Deng et al., EMNLP 2022, Apache-2.0): offensive → abusive (sample weight `weight`),
    safe → neutral (`safe_weight`, default `weight`)."""
    safe_weight = weight if safe_weight is None else safe_weight
    rows = []
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for number, data in enumerate(csv.DictReader(handle), start=2):
                if data.get("text", "").strip():
                    label = "abusive" if data["label"] == "1" else NEUTRAL
                    rows.append(LabelledText(data["text"], label,
                                             weight if label == "abusive" else safe_weight,
                                             f"{path.name}:{number}"))
    except OSError as exc:
        raise TrainingDataError(f"cannot read: {exc.strerror}", path=path) from None
    except KeyError as exc:
        raise TrainingDataError(f"missing column {exc}", path=path) from None
    return rows


def fold(text: str) -> str:
    return _FOLD.sub("", text)


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def drop_leaks(train: list[LabelledText], held_out: Iterable[LabelledText],
               similarity: float = NEAR_DUPLICATE) -> tuple[list[LabelledText], int]:
    """Remove training rows that are the same as a held-out text, or nearly (character-bigram
    Jaccard ≥ `similarity`, ignoring punctuation and spaces), so the held-out score measures
    replies the model has not seen the like of."""
    held = [fold(r.text) for r in held_out]
    exact = set(held)
    grams = [_bigrams(text) for text in held]
    index: dict[str, list[int]] = {}
    for position, bigrams in enumerate(grams):
        for gram in bigrams:
            index.setdefault(gram, []).append(position)
    kept = []
    for row in train:
        text = fold(row.text)
        if text in exact:
            continue
        mine = _bigrams(text)
        shared: dict[int, int] = {}
        for gram in mine:
            for position in index.get(gram, ()):
                shared[position] = shared.get(position, 0) + 1
        if any(count / len(mine | grams[p]) >= similarity for p, count in shared.items()):
            continue
        kept.append(row)
    return kept, len(train) - len(kept)


def files_sha256(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_pipeline(words: Sequence[str], settings: TrainingSettings,
                   vocabulary: tuple[list[str], list[str]] | None = None) -> Pipeline:
    """The pipeline; with `vocabulary` (char n-grams, words) the features are fixed to it."""
    char_vocabulary, word_vocabulary = vocabulary if vocabulary else (None, None)
    features = FeatureUnion([
        ("char", TfidfVectorizer(analyzer=CharNgrams(settings.char_min_n, settings.char_max_n),
                                 sublinear_tf=True, min_df=settings.min_df,
                                 max_features=settings.max_char_features,
                                 vocabulary=char_vocabulary, dtype=np.float64)),
        ("word", TfidfVectorizer(analyzer=VocabularyWords(word_vocabulary or words),
                                 sublinear_tf=True, min_df=settings.min_df,
                                 vocabulary=word_vocabulary, dtype=np.float64)),
    ])
    return Pipeline([("features", features),
                     ("classifier", LogisticRegression(C=settings.C, max_iter=3000))])


def fit(rows: Sequence[LabelledText], normalize: Callable[[str], str],
        segment: Callable[[str], list[str]], settings: TrainingSettings,
        progress: Callable[[str], None] = lambda _: None, *,
        labels: Sequence[str] = LABELS, kind: str = "tone") -> Pipeline:
    """`labels`: the labels every one of which needs training rows; `kind` names the model in
    errors (the intent model trains through here too)."""
    progress("normalising")
    texts = [normalize(r.text) for r in rows]
    progress("segmenting (jieba vocabulary)")
    words = segment_vocabulary(texts, segment, min_count=settings.min_df,
                               max_words=settings.max_words)
    pipeline = build_pipeline(words, settings)
    progress("fitting")
    targets = [r.label for r in rows]
    missing = sorted(set(labels) - set(targets))
    if missing:
        raise TrainingDataError(f"no training rows for label(s): {', '.join(missing)}")
    weights = np.array([r.weight for r in rows])
    try:
        pipeline.fit(texts, targets, classifier__sample_weight=weights)
        kept = strongest_features(pipeline, settings)
        if kept is not None:
            progress("refitting on the strongest features")
            pipeline = build_pipeline(words, settings, kept)
            pipeline.fit(texts, targets, classifier__sample_weight=weights)
    except ValueError as exc:  # e.g. an empty vocabulary: too little data for min_df
        raise TrainingDataError(f"cannot fit the {kind} model: {exc} (rows: {len(rows)}, "
                                f"min_df: {settings.min_df})") from None
    return pipeline


def strongest_features(pipeline: Pipeline, settings: TrainingSettings
                        ) -> tuple[list[str], list[str]] | None:
    """The n-grams and words with the largest absolute coefficient for any label, or None when
    nothing needs pruning."""
    union: FeatureUnion = pipeline.named_steps["features"]
    char_vec = dict(union.transformer_list)["char"]
    word_vec = dict(union.transformer_list)["word"]
    strength = np.abs(pipeline.named_steps["classifier"].coef_).max(axis=0)
    chars, words = _ordered_vocabulary(char_vec), _ordered_vocabulary(word_vec)
    keep_chars, keep_words = settings.keep_char_features, settings.keep_words
    if (keep_chars is None or keep_chars >= len(chars)) and (
            keep_words is None or keep_words >= len(words)):
        return None

    def top(tokens: list[str], scores: np.ndarray, keep: int | None) -> list[str]:
        if keep is None or keep >= len(tokens):
            return tokens
        order = np.argsort(-scores, kind="stable")[:keep]
        return [tokens[i] for i in sorted(order)]

    return (top(chars, strength[:len(chars)], keep_chars),
            top(words, strength[len(chars):], keep_words))


def _ordered_vocabulary(vectorizer: TfidfVectorizer) -> list[str]:
    """The vectorizer's tokens in feature-column order."""
    out = [""] * len(vectorizer.vocabulary_)
    for token, index in vectorizer.vocabulary_.items():
        out[index] = token
    return out


def export(pipeline: Pipeline, directory: Path, meta: dict[str, Any], *,
           format_name: str = FORMAT) -> None:
    """Write the fitted pipeline as plain data: model.json, vocabulary.json, weights.npz
    (`format_name`: the artefact's kind, e.g. the intent model's)."""
    union: FeatureUnion = pipeline.named_steps["features"]
    char_vec = dict(union.transformer_list)["char"]
    word_vec = dict(union.transformer_list)["word"]
    classifier: LogisticRegression = pipeline.named_steps["classifier"]
    labels = [str(c) for c in classifier.classes_]
    directory.mkdir(parents=True, exist_ok=True)

    coef, intercept = classifier.coef_, classifier.intercept_
    if len(labels) == 2 and coef.shape[0] == 1:
        # A binary fit has one row (the logit of the second class); the artefact holds one
        # row per label, and the softmax of (-z/2, z/2) is the sigmoid of z.
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.hstack([-intercept / 2,
                                                                        intercept / 2])
    np.savez_compressed(directory / "weights.npz", coef=coef,
                        intercept=intercept, idf_char=char_vec.idf_,
                        idf_word=word_vec.idf_)
    (directory / "vocabulary.json").write_text(
        json.dumps({"char": _ordered_vocabulary(char_vec), "word": _ordered_vocabulary(word_vec)},
                   ensure_ascii=False),
        encoding="utf-8")
    analyzer: CharNgrams = char_vec.analyzer
    full = {
        "format": format_name,
        "format_version": FORMAT_VERSION,
        "labels": labels,
        "features": {
            "text": "normalised base view (classifiers.normalize, default steps)",
            "char": {"min_n": analyzer.min_n, "max_n": analyzer.max_n,
                     "size": len(char_vec.vocabulary_)},
            "word": {"source": "jieba words of the training corpus, matched by Aho-Corasick",
                     "size": len(word_vec.vocabulary_)},
            "tfidf": {"sublinear_tf": True, "norm": "l2", "smooth_idf": True},
        },
        "classifier": {"type": "LogisticRegression", "multinomial": True,
                       "C": classifier.C,
                       "pruned_to": "the strongest features by max |coefficient|, then refit"},
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **meta,
    }
    (directory / "model.json").write_text(json.dumps(full, ensure_ascii=False, indent=2) + "\n",
                                          encoding="utf-8")


def evaluate(labels_true: Sequence[str], probabilities: Sequence[dict[str, float]],
             labels: Sequence[str] = LABELS) -> dict[str, Any]:
    """Per-class precision/recall/F1, accuracy, confusion matrix, threshold table; macro-F1 over
    the labels that occur in `labels_true` (a model label absent from the data, such as neutral
    on service replies, is reported but not averaged)."""
    predicted = [max(p, key=p.__getitem__) for p in probabilities]
    per_class: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = sum(t == label and p == label for t, p in zip(labels_true, predicted))
        fp = sum(t != label and p == label for t, p in zip(labels_true, predicted))
        fn = sum(t == label and p != label for t, p in zip(labels_true, predicted))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1,
                            "support": sum(t == label for t in labels_true)}
    confusion = [[sum(t == a and p == b for t, p in zip(labels_true, predicted))
                  for b in labels] for a in labels]
    thresholds: dict[str, list[dict[str, float]]] = {}
    for label in labels:
        table = []
        for threshold in THRESHOLDS:
            flagged = [p[label] >= threshold for p in probabilities]
            tp = sum(f and t == label for f, t in zip(flagged, labels_true))
            n_flagged = sum(flagged)
            support = sum(t == label for t in labels_true)
            table.append({"threshold": threshold,
                          "precision": tp / n_flagged if n_flagged else 0.0,
                          "recall": tp / support if support else 0.0,
                          "flagged": n_flagged})
        thresholds[label] = table
    return {
        "rows": len(labels_true),
        "accuracy": sum(t == p for t, p in zip(labels_true, predicted)) / max(1, len(labels_true)),
        "macro_f1": _mean([c["f1"] for c in per_class.values() if c["support"]]),
        "per_class": per_class,
        "labels": list(labels),
        "confusion": confusion,
        "thresholds": thresholds,
    }


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
