"""The sarcasm second stage: a second look at replies the tone model leaves uncertain.

The tone model scores sarcasm by the words a writer used; another writer's sarcasm in other
words often lands between "clearly polite" and the policy's sarcastic threshold. For those
replies only (the tone model's sarcastic probability inside the stage's gate, `[low, high)`),
this stage reads the reply's shapes and the buyer's message it answers
(classifiers/tone/sarcasm_shapes.py) with the tone model's probabilities and gives
P(sarcastic): a binary logistic regression (scikit-learn at training,
classifiers/tone/sarcasm_training.py) shipped inside the tone model's directory as
`sarcasm.json` (feature → weight, intercept, gate: plain data, nothing unpickled). The scorer
adds its probability to the tone scores as `sarcastic_shape`, which the policy reads like any
tone label; outside the gate the stage is not run and the label is absent (a rule on it does not
hold), so most replies never pay for it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from classifiers.context import Act
from classifiers.errors import ConfigError
from classifiers.tone.sarcasm_shapes import (
    CONTEXT_SHAPES,
    PAIR_SHAPES,
    REPLY_SHAPES,
    shape_features,
)
from classifiers.tone.weights_file import read_weights_file

FORMAT = "replyguard-sarcasm"
FORMAT_VERSION = 1
FILE_NAME = "sarcasm.json"
# The tone-score key the stage's probability is added under (what a policy rule names).
LABEL = "sarcastic_shape"
# The tone model's probabilities the stage reads, by label.
PROBABILITY_LABELS = ("polite", "cold", "perfunctory", "sarcastic", "abusive")


def features(reply: str, context: str | None, act: Act | None,
             scores: dict[str, float]) -> dict[str, float]:
    """The stage's features: every shape, the tone model's probabilities, and the log-odds of
    its sarcastic probability. Training computes them here too."""
    out = shape_features(reply, context, act)
    for label in PROBABILITY_LABELS:
        out[f"p:{label}"] = scores.get(label, 0.0)
    p = min(max(scores.get("sarcastic", 0.0), 1e-6), 1 - 1e-6)
    out["logit:sarcastic"] = math.log(p / (1 - p))
    return out


KNOWN_FEATURES = frozenset({*REPLY_SHAPES, *PAIR_SHAPES, *CONTEXT_SHAPES,
                            *(f"p:{label}" for label in PROBABILITY_LABELS), "logit:sarcastic"})


class SarcasmModelError(ConfigError):
    """The sarcasm stage's file is damaged or of another format version."""


class SarcasmStage:
    """P(sarcastic) for replies whose tone-model sarcastic probability is in `[low, high)`."""

    def __init__(self, weights: dict[str, float], intercept: float, low: float, high: float,
                 meta: dict[str, Any]) -> None:
        self.weights = weights
        self.intercept = intercept
        self.low = low
        self.high = high
        self.meta = meta

    @classmethod
    def from_file(cls, path: Path) -> SarcasmStage:
        data = read_weights_file(path, FORMAT, FORMAT_VERSION, "sarcasm stage", SarcasmModelError)
        weights, intercept, gate = data.get("weights"), data.get("intercept"), data.get("gate")
        if not isinstance(weights, dict) or not isinstance(intercept, (int, float)) \
                or not all(isinstance(v, (int, float)) for v in weights.values()) \
                or not isinstance(gate, list) or len(gate) != 2 \
                or not all(isinstance(g, (int, float)) for g in gate) or not gate[0] < gate[1]:
            raise SarcasmModelError("sarcasm stage weights or gate are malformed", path=path)
        unknown = sorted(set(weights) - KNOWN_FEATURES)
        if unknown:
            raise SarcasmModelError(f"sarcasm stage names unknown feature {unknown[0]!r}; "
                                    "retrain it with `replyguard train`", path=path)
        meta = {k: v for k, v in data.items() if k != "weights"}
        return cls({str(k): float(v) for k, v in weights.items()}, float(intercept),
                   float(gate[0]), float(gate[1]), meta)

    def uncertain(self, scores: dict[str, float]) -> bool:
        """Whether the tone model left this reply to the stage."""
        return self.low <= scores.get("sarcastic", 0.0) < self.high

    def probability(self, reply: str, context: str | None, act: Act | None,
                    scores: dict[str, float]) -> float:
        """P(sarcastic) of the normalised `reply` answering the folded buyer message
        `context` (None: unknown) of dialogue act `act`, the tone model giving `scores`."""
        return self.probability_of(features(reply, context, act, scores))

    def probability_of(self, named: dict[str, float]) -> float:
        """P(sarcastic) from the stage's features (`features`)."""
        z = self.intercept
        for name, value in named.items():
            if value:
                z += self.weights.get(name, 0.0) * value
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
