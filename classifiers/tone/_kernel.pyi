from collections.abc import Sequence

import numpy as np

class ToneKernel:
    def __init__(self, keys: Sequence[str], rows: np.ndarray, intercept: Sequence[float]
                 ) -> None: ...
    def probabilities(self, text: str) -> tuple[list[float], int]: ...
