"""InvitationModel: the learned off-platform invitation signal (issue 15).

Rules see an invitation only when it is written with a verb and a channel they list; writers
describe channels (橙色的批发软件, 那个外卖App), invite without a listed verb (换个地方聊, 当面
付现金) and ask for the buyer's contact (留个手机号). This binary model reads the whole
normalised message and gives the probability that it moves the buyer off the platform.

It is the tone model's machinery, not a second one: the same features (character n-grams and
jieba vocabulary words on the normalised base view), the same plain-data artefact (`model.json`,
`vocabulary.json`, `weights.npz`, format `replyguard-tone`, labels `invitation` and `other`) and
the same compiled kernel, read by `ToneClassifier`. `model.json` also carries the two
probabilities the scorer turns into a hit (`thresholds`: `notice` for a severity-1 hit, `block`
for severity 2), chosen when it was trained (classifiers/invitation/training.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from classifiers.tone.classifier import ToneClassifier, ToneModelError

POSITIVE = "invitation"
NEGATIVE = "other"
LABELS = (NEGATIVE, POSITIVE)


class InvitationModel:
    """Loaded from an artefact directory; `probability(normalized)` per message."""

    def __init__(self, classifier: ToneClassifier) -> None:
        if set(classifier.labels_) != set(LABELS):
            raise ToneModelError(f"not an invitation model (labels {list(classifier.labels_)}, "
                                 f"expected {list(LABELS)})", path=classifier.directory)
        thresholds = classifier.meta_.get("thresholds")
        if not isinstance(thresholds, dict) or not {"notice", "block"} <= set(thresholds):
            raise ToneModelError("model.json has no thresholds {notice, block}",
                                 path=classifier.directory / "model.json")
        self.classifier = classifier
        self.notice = float(thresholds["notice"])
        self.block = float(thresholds["block"])

    @classmethod
    def from_directory(cls, directory: Path | str,
                       reuse: InvitationModel | None = None) -> InvitationModel:
        """`reuse`: the running model, kept when the artefact's files did not change (a
        configuration reload need not parse it again)."""
        if reuse is not None and reuse.classifier.directory == Path(directory):
            digest = hashlib.sha256()
            try:
                for name in ("model.json", "vocabulary.json", "weights.npz"):
                    digest.update((Path(directory) / name).read_bytes())
            except OSError:
                digest = hashlib.sha256(b"unreadable")
            if digest.hexdigest() == reuse.classifier.digest_:
                return reuse
        return cls(ToneClassifier.from_directory(directory))

    @property
    def version(self) -> str:
        return self.classifier.version

    def probability(self, normalized: str) -> float:
        """Probability that the message (its normalised base view) is an off-platform
        invitation."""
        return self.classifier.probability(normalized, POSITIVE)

    def severity(self, probability: float) -> int:
        """0 (no hit), 1 (notice) or 2 (block) for a probability."""
        if probability >= self.block:
            return 2
        return 1 if probability >= self.notice else 0
