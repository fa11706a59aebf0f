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

from typing import ClassVar

from classifiers.errors import ConfigError
from classifiers.tone.classifier import ToneClassifier, ToneScores

FORMAT = "replyguard-intent"
# Intent scores have the tone scores' shape: a probability per label and the most probable one.
IntentScores = ToneScores


class IntentModelError(ConfigError):
    """The intent model artefact is missing, damaged, or of another format version."""


class IntentClassifier(ToneClassifier):
    FORMAT: ClassVar[str] = FORMAT
    KIND: ClassVar[str] = "intent"
    ERROR: ClassVar[type[ConfigError]] = IntentModelError
