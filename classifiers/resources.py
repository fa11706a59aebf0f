"""Where the shipped lexicons and default policy are, and the defaults every entry point shares
(this module imports nothing heavy: settings and the CLI read it at start-up).

In a source checkout they sit at the top of the repository; an installed wheel carries copies
under `classifiers/_bundled/` (see pyproject's force-include).
"""

from __future__ import annotations

from pathlib import Path

# Longest message scored; longer ones are refused (REPLYGUARD_MAX_CHARS overrides it).
DEFAULT_MAX_CHARS = 5000

_PACKAGE = Path(__file__).resolve().parent
_CANDIDATES = (_PACKAGE.parent, _PACKAGE / "_bundled")


def _find(name: str) -> Path:
    for root in _CANDIDATES:
        if (root / name).exists():
            return root / name
    return _CANDIDATES[0] / name


def default_lexicon_dir() -> Path:
    return _find("lexicons")


def default_policy_file() -> Path:
    return _find("policies.yaml")


def default_tone_model() -> Path:
    return _PACKAGE / "tone" / "model"


def default_invitation_model() -> Path:
    return _PACKAGE / "invitation" / "model"


def default_training_data() -> list[Path]:
    return sorted((_PACKAGE / "tone" / "data").glob("tone_train*.csv"))


def default_heldout_data() -> Path:
    return _PACKAGE / "tone" / "data" / "tone_heldout.csv"


def default_intent_model() -> Path:
    return _PACKAGE / "intent" / "model"


def default_intent_training_data() -> list[Path]:
    return sorted((_PACKAGE / "intent" / "data").glob("intent_train_*.csv"))


def default_intent_heldout_data() -> Path:
    matches = sorted((_PACKAGE / "intent" / "data").glob("intent_heldout_*.csv"))
    return matches[0] if matches else _PACKAGE / "intent" / "data" / "intent_heldout.csv"


def default_cold_splits() -> list[Path]:
    """COLD's train and dev splits in the shared evaluation data beside a checkout (never copied
    here). Dev is trained on too: settings are chosen on the project's own sets (docs/tone.md),
    so dev is free for the final fit; the test split is only ever evaluated on."""
    cold = _PACKAGE.parent.parent / "shared" / "eval-data" / "cold"
    return [cold / "train.csv", cold / "dev.csv"]
