"""posehar: pose-based human action recognition (MediaPipe keypoints -> GRU encoder -> logistic regression)."""

from ._version import __version__
from .bundle import load_model, save_model
from .classifier import PoseActionClassifier
from .models import get_model, list_models
from .pose import PoseSettings, extract_keypoints
from .personalize import personalize
from .predict import predict_action
from .prediction import ActionPrediction
from .sequence import KeypointSequence

__all__ = ["ActionPrediction", "KeypointSequence", "PoseActionClassifier", "PoseSettings", "extract_keypoints",
           "get_model", "list_models", "load_model", "personalize", "predict_action", "save_model", "__version__"]
