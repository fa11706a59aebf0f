"""The intent model's training settings (a module without scikit-learn, so that `replyguard
train --help` shows them without importing it). The fields are the tone model's
(classifiers/tone/training_settings.py); COLD and neutral weights do not apply here."""

from __future__ import annotations

from classifiers.tone.training_settings import TrainingSettings

# Chosen by leave-one-writer-out over the training writers (docs/intent.md, "Settings").
INTENT_SETTINGS = TrainingSettings(C=16.0, min_df=2, max_char_features=30_000,
                                   max_words=10_000, keep_char_features=6_000, keep_words=2_000)
# The default policy routes a buyer unless the model gives `ordinary` at least
# 1 - ROUTE_THRESHOLD, i.e. when these labels together reach ROUTE_THRESHOLD (policies.yaml, rule
# buyer-intent: unless_intent: {ordinary: 0.3}); `eval` and the selection report the same rule.
ROUTE_LABELS = ("wants_human", "complaint", "anger")
ROUTE_THRESHOLD = 0.7
