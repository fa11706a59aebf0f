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
from operator import itemgetter
from pathlib import Path
from typing import Any, ClassVar, Self

import ahocorasick
import numpy as np

from classifiers.errors import ConfigError, NotBuiltError
from classifiers.tone.answer import FILE_NAME as ANSWER_FILE
from classifiers.tone.answer import AnswerModel
from classifiers.tone.cues import FILE_NAME as CUES_FILE
from classifiers.tone.cues import ToneCues
from classifiers.tone.features import CharNgrams
from classifiers.tone.sarcasm import FILE_NAME as SARCASM_FILE
from classifiers.tone.sarcasm import LABEL as SARCASM_LABEL
from classifiers.tone.sarcasm import SarcasmStage

try:
    from classifiers.tone._kernel import ToneKernel
except ImportError:  # a checkout that was never installed, or a pure-Python build on purpose
    ToneKernel = None  # type: ignore[assignment, misc]

FORMAT = "replyguard-tone"
# 1 + ln(count), looked up rather than computed per feature (messages with more n-gram
# occurrences than the table covers compute it instead).
_SUBLINEAR_TF = [0.0, 1.0, *(1.0 + math.log(c) for c in range(2, 20_002))]
FORMAT_VERSION = 1
_SECOND = itemgetter(1)


class ToneModelError(ConfigError):
    """The tone model artefact is missing, damaged, or of another format version."""


@dataclass(frozen=True, slots=True)
class ToneScores:
    """Probability per label (summing to 1) and the most probable label; where the sarcasm
    second stage read the reply, its probability too, under `sarcastic_shape`
    (classifiers/tone/sarcasm.py), which the most probable label does not consider."""

    label: str
    scores: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "scores": {k: round(v, 4) for k, v in self.scores.items()}}


class ToneClassifier:
    """Constructed from an artefact directory; `load()` reads it once.

    `accelerated`: score with the compiled kernel (classifiers/tone/_kernel.pyx) when it is
    built, else with the Python path below; both give scikit-learn's probabilities (tests pin
    each to it), the kernel about ten times faster. False forces the Python path.

    Another linear text model with the same features and artefact layout (the buyer intent
    model, classifiers/intent/) is a subclass that names its own format, kind and error.
    """

    FORMAT: ClassVar[str] = FORMAT
    KIND: ClassVar[str] = "tone"
    ERROR: ClassVar[type[ConfigError]] = ToneModelError

    def __init__(self, directory: Path | str, *, accelerated: bool = True) -> None:
        self.directory = Path(directory)
        self.accelerated = accelerated and ToneKernel is not None

    @classmethod
    def from_directory(cls, directory: Path | str, *, accelerated: bool = True) -> Self:
        return cls(directory, accelerated=accelerated).load()

    @classmethod
    def labels_in(cls, directory: Path | str) -> tuple[str, ...]:
        """The labels a model directory of this kind predicts, from model.json alone."""
        return tuple(_read_meta(Path(directory), cls.FORMAT, cls.KIND, cls.ERROR)["labels"])

    def load(self) -> Self:
        meta = _read_meta(self.directory, self.FORMAT, self.KIND, self.ERROR)
        vocabulary = _read_json(self.directory / "vocabulary.json", self.KIND, self.ERROR)
        digest = hashlib.sha256()
        for name in ("model.json", "vocabulary.json", "weights.npz"):
            try:
                digest.update((self.directory / name).read_bytes())
            except OSError as exc:
                raise self.ERROR(f"cannot read: {exc.strerror}",
                                 path=self.directory / name) from None
        # The answer model (a pair model for perfunctory replies) ships beside the tone model
        # when it was trained with it; it is part of the model's version.
        answer_file = self.directory / ANSWER_FILE
        self.answer_: AnswerModel | None = None
        if answer_file.exists():
            self.answer_ = AnswerModel.from_file(answer_file, accelerated=self.accelerated)
            digest.update(answer_file.read_bytes())
        # The cues the model was trained to read (word edges, the shifting shape): the model's
        # input, so part of its version.
        cues_file = self.directory / CUES_FILE
        self.cues_: ToneCues | None = None
        if cues_file.exists():
            raw = _read_json(cues_file, self.KIND, self.ERROR)
            try:
                self.cues_ = ToneCues.from_json(raw)
            except ValueError as exc:
                raise self.ERROR(str(exc), path=cues_file) from None
            digest.update(cues_file.read_bytes())
        # The sarcasm second stage likewise (a second look at replies left uncertain).
        sarcasm_file = self.directory / SARCASM_FILE
        self.sarcasm_: SarcasmStage | None = None
        if sarcasm_file.exists():
            self.sarcasm_ = SarcasmStage.from_file(sarcasm_file)
            digest.update(sarcasm_file.read_bytes())
        self.digest_ = digest.hexdigest()
        try:
            with np.load(self.directory / "weights.npz", allow_pickle=False) as weights:
                coef = np.asarray(weights["coef"], dtype=np.float64)
                intercept = np.asarray(weights["intercept"], dtype=np.float64)
                idf_char = np.asarray(weights["idf_char"], dtype=np.float64)
                idf_word = np.asarray(weights["idf_word"], dtype=np.float64)
        except (OSError, KeyError, ValueError) as exc:
            raise self.ERROR(f"cannot read weights: {exc}",
                             path=self.directory / "weights.npz") from None
        chars, words = vocabulary["char"], vocabulary["word"]
        labels = meta["labels"]
        if coef.shape != (len(labels), len(chars) + len(words)) or len(idf_char) != len(chars) \
                or len(idf_word) != len(words) or intercept.shape != (len(labels),):
            raise self.ERROR("weights do not match the vocabulary and labels",
                             path=self.directory)
        settings = meta["features"]
        self.meta_ = meta
        self.labels_: tuple[str, ...] = tuple(labels)
        # what a policy's tone conditions may name: the labels, and the stage's score
        self.policy_labels_ = (*self.labels_, SARCASM_LABEL) if self.sarcasm_ is not None \
            else self.labels_
        self.char_analyzer_ = CharNgrams(settings["char"]["min_n"], settings["char"]["max_n"])
        self._build(chars, words, coef, intercept, idf_char, idf_word)
        return self

    def _build(self, chars: list[str], words: list[str], coef: np.ndarray, intercept: np.ndarray,
               idf_char: np.ndarray, idf_word: np.ndarray) -> None:
        # A key is a string that is a character n-gram of the vocabulary, a word of it, or both
        # (most two-character words are also bigrams). A key's occurrence count is both its
        # n-gram count and its word count, so each key needs one row: idf × coefficients of each
        # label for the n-gram block, the same for the word block, then the n-gram's and the
        # word's idf² (for the two l2 norms). A message gathers only its own rows.
        n_labels = len(intercept)
        keys: dict[str, list[int | None]] = {}
        for i, gram in enumerate(chars):
            keys.setdefault(gram, [None, None])[0] = i
        for i, word in enumerate(words):
            keys.setdefault(word, [None, None])[1] = i
        rows = np.zeros((len(keys), 2 * n_labels + 2))
        for row, (char_id, word_id) in enumerate(keys.values()):
            if char_id is not None:
                rows[row, :n_labels] = idf_char[char_id] * coef[:, char_id]
                rows[row, 2 * n_labels] = idf_char[char_id] ** 2
            if word_id is not None:
                rows[row, n_labels:2 * n_labels] = idf_word[word_id] * coef[:, len(chars) + word_id]
                rows[row, 2 * n_labels + 1] = idf_word[word_id] ** 2
        self.rows_ = rows
        self.intercept_list_: list[float] = intercept.tolist()
        self.kernel_: ToneKernel | None = None
        if self.accelerated:
            try:
                self.kernel_ = ToneKernel(list(keys), rows, self.intercept_list_)
            except ValueError as exc:  # e.g. a vocabulary word longer than the kernel packs
                raise self.ERROR(f"vocabulary not supported: {exc}",
                                 path=self.directory / "vocabulary.json") from None
            return
        # The Python path: one Aho-Corasick automaton over the keys finds every occurrence.
        self.features_ = ahocorasick.Automaton()
        for row, key in enumerate(keys):
            self.features_.add_word(key, row)
        if keys:
            self.features_.make_automaton()

    @property
    def version(self) -> str:
        """Content hash of the artefact: a retrained model is a new version even when it was
        trained on the same data with other settings."""
        return self.digest_[:12]

    def reads(self, view: str) -> str:
        """What the model reads of `view` (the tone view): the text with the model's cues."""
        cues: ToneCues | None = getattr(self, "cues_", None)
        return cues.read(view) if cues is not None else view

    def predict(self, normalized: str) -> ToneScores:
        """Tone of one message, given its normalised (base view) text."""
        if not hasattr(self, "rows_"):
            raise NotBuiltError(f"{type(self).__name__}.predict() called before load()")
        return self.scores_of(self.reads(normalized))

    def scores_of(self, read: str) -> ToneScores:
        """`predict` of a text the cues were already read into (`reads`)."""
        text = self.char_analyzer_.prepare(read)
        if self.kernel_ is not None:
            return self.from_kernel(*self.kernel_.probabilities(text))
        # The Python path, per message: one automaton pass lists the keys that occur (in C),
        # dict.fromkeys and list.count count them, numpy is called two or three times to gather
        # and sum the message's rows, and the logits come back as Python floats: at this size,
        # per-call overheads and Python objects per occurrence are the cost, not arithmetic.
        found = list(map(_SECOND, self.features_.iter(text))) if text and \
            len(self.features_) else []
        logits = self.intercept_list_
        if found:
            n = len(logits)
            keys = list(dict.fromkeys(found))
            rows = self.rows_.take(keys, axis=0)
            if len(keys) == len(found):  # every key once: sublinear tf is 1 for all
                sums = np.add.reduce(rows).tolist()
            else:  # repeats (punctuation, 的): tf = 1 + ln(count), and tf² in the norms
                if len(found) <= 64:  # quadratic, but in C and cheaper than a Counter here
                    counts = list(map(found.count, keys))
                else:
                    counted = Counter(found)
                    counts = list(map(counted.__getitem__, keys))
                tf = np.array(list(map(_SUBLINEAR_TF.__getitem__, counts)) if max(counts) <
                              len(_SUBLINEAR_TF) else [1.0 + math.log(c) for c in counts])
                sums = (tf @ rows[:, :2 * n]).tolist() + ((tf * tf) @ rows[:, 2 * n:]).tolist()
            char_norm, word_norm = sums[2 * n], sums[2 * n + 1]
            # l2 norm per block; a block with no feature stays zero, as in scikit-learn
            char_scale = 1.0 / math.sqrt(char_norm) if char_norm else 0.0
            word_scale = 1.0 / math.sqrt(word_norm) if word_norm else 0.0
            logits = [b + c * char_scale + w * word_scale
                      for b, c, w in zip(logits, sums[:n], sums[n:2 * n])]
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        total = sum(exps)
        scores = dict(zip(self.labels_, [e / total for e in exps]))
        return ToneScores(self.labels_[logits.index(top)], scores)


    def from_kernel(self, probabilities: list[float], best: int) -> ToneScores:
        """The kernel's answer (probability per label, index of the most probable)."""
        return ToneScores(self.labels_[best], dict(zip(self.labels_, probabilities)))

    def probability(self, normalized: str, label: str) -> float:
        """`predict(normalized).scores[label]`, the same number, without the scores of the
        other labels (the kernel computes them but builds no object for them)."""
        kernel: ToneKernel | None = getattr(self, "kernel_", None)
        if kernel is None:  # the Python path, or not loaded (predict says so)
            scores = self.predict(normalized).scores
            if label not in scores:
                raise ValueError(f"no label {label!r}")
            return scores[label]
        return kernel.probability(self.char_analyzer_.prepare(self.reads(normalized)),
                                  self.labels_.index(label))


class PairedModels:
    """Two models that often read the same text (the tone model and the invitation model, which
    reads the normalised view less numbers, addresses and refusals: most messages have none):
    for such a text, the first model's scores and the second's probability of one label from a
    single kernel pass over it, the same numbers as each model alone (a test pins them)."""

    def __init__(self, first: ToneClassifier, second: ToneClassifier, label: str) -> None:
        self.first, self.second, self.label = first, second, label
        self._label = second.labels_.index(label)
        self.kernel_: ToneKernel | None = None
        if first.kernel_ is not None and second.kernel_ is not None:
            self.kernel_ = ToneKernel.shared([first.kernel_, second.kernel_])

    def predict(self, normalized: str) -> tuple[ToneScores, float]:
        """(`first.predict(normalized)`, `second.probability(normalized, label)`)."""
        read = self.first.reads(normalized)
        if self.kernel_ is None or read != normalized:
            # where the tone model reads cues into the text, it reads another text than its pair
            return self.first.scores_of(read), self.second.probability(normalized, self.label)
        first, second = self.kernel_.scores(self.first.char_analyzer_.prepare(normalized),
                                            [-1, self._label])
        return self.first.from_kernel(*first), second


def read_labels(directory: Path | str) -> tuple[str, ...]:
    """The labels a model directory predicts, from model.json alone: what `replyguard policy
    check` validates `tone:` conditions against, without loading the weights (with the
    sarcasm stage's score when the directory has the stage)."""
    labels = ToneClassifier.labels_in(directory)
    return (*labels, SARCASM_LABEL) if (Path(directory) / SARCASM_FILE).exists() else labels


def _read_meta(directory: Path, format_name: str, kind: str,
               error: type[ConfigError]) -> dict[str, Any]:
    meta = _read_json(directory / "model.json", kind, error)
    if meta.get("format") != format_name:
        raise error(f"not a ReplyGuard {kind} model (format {meta.get('format')!r})",
                    path=directory / "model.json")
    if meta.get("format_version") != FORMAT_VERSION:
        raise error(
            f"{kind} model format version {meta.get('format_version')!r} is not supported "
            f"(this ReplyGuard reads version {FORMAT_VERSION}); retrain it with "
            "`replyguard train`", path=directory / "model.json")
    return meta


def _read_json(path: Path, kind: str, error: type[ConfigError]) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise error(f"{kind} model file not found", path=path) from None
    except (OSError, ValueError) as exc:
        raise error(f"cannot read {kind} model file: {exc}", path=path) from None
    if not isinstance(data, dict):
        raise error(f"{kind} model file is not a JSON object", path=path)
    return data
