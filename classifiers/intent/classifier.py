"""IntentClassifier: what a buyer's message asks for — a human (`wants_human`), a complaint or
threat (`complaint`: 差评, 投诉, 12315, a lawyer, a report), strong `anger`, or nothing of the
kind (`ordinary`, which includes withdrawn requests and neutral mentions: 不用转人工了,
差评已经撤了, 人工费, 看了差评).

The model is the tone model's kind of model — TF-IDF of character n-grams and jieba vocabulary
words on the normalised text, into a multinomial logistic regression, trained with
scikit-learn (classifiers/intent/training.py) and exported as plain data — so it is scored with
the tone model's machinery (the compiled kernel, the same artefact layout), under its own format
name and with its own weights. Only buyer messages are scored.
"""

from __future__ import annotations

import hashlib
import json
from typing import ClassVar, Self

from classifiers.errors import ConfigError
from classifiers.intent.reading import FILE_NAME as READING_FILE
from classifiers.intent.reading import PinyinReading
from classifiers.tone.classifier import ToneClassifier, ToneScores

FORMAT = "replyguard-intent"
# Intent scores have the tone scores' shape: a probability per label and the most probable one.
IntentScores = ToneScores


class IntentModelError(ConfigError):
    """The intent model artefact is missing, damaged, or of another format version."""


class IntentClassifier(ToneClassifier):
    """The tone model's machinery, plus the pinyin reading the model was trained through
    (`reading.json`, classifiers/intent/reading.py): `predict` reads the message through it
    first, so `rengong` is scored as 人工. An artefact without the file reads latin as typed."""

    FORMAT: ClassVar[str] = FORMAT
    KIND: ClassVar[str] = "intent"
    ERROR: ClassVar[type[ConfigError]] = IntentModelError

    def load(self) -> Self:
        super().load()
        self.reading_: PinyinReading | None = None
        path = self.directory / READING_FILE
        if path.exists():
            try:
                raw = path.read_bytes()
                self.reading_ = PinyinReading.from_json(json.loads(raw))
            except (OSError, ValueError) as exc:
                raise IntentModelError(f"cannot read the pinyin reading: {exc}",
                                       path=path) from None
            # the reading is part of the model: another reading is another version
            self.digest_ = hashlib.sha256(self.digest_.encode() + raw).hexdigest()
        return self

    def predict(self, normalized: str) -> IntentScores:
        """Intent of one buyer message, given the view the scorer builds (titles emptied)."""
        reading: PinyinReading | None = getattr(self, "reading_", None)  # before load():
        if reading is not None:                                           # super() says so
            normalized = reading.read(normalized)
        return super().predict(normalized)
