"""posehar: pose-based human action recognition (MediaPipe keypoints -> GRU encoder -> logistic regression)."""

__version__ = "0.1.0"

from .bundle import load_model, save_model  # noqa: E402
from .classifier import PoseActionClassifier  # noqa: E402
from .models import get_model, list_models  # noqa: E402
from .pose import PoseSettings, extract_keypoints  # noqa: E402
from .personalize import personalize  # noqa: E402
from .predict import ActionPrediction, predict_action  # noqa: E402
from .sequence import KeypointSequence  # noqa: E402

__all__ = ["ActionPrediction", "KeypointSequence", "PoseActionClassifier", "PoseSettings", "extract_keypoints",
           "get_model", "list_models", "load_model", "personalize", "predict_action", "save_model", "__version__"]
