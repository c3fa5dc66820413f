"""predict_action: a video (or a keypoint sequence) -> action label, probabilities and timeline."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .arguments import check_count
from .errors import PoseharError
from .models import get_model, model_label
from .pairs import PAIR_LAYOUT
from .pose import PoseSettings, extract_keypoints
from .prediction import NO_PERSON, ActionPrediction, check_people, predict_sequence, summarise_windows
from .sequence import KeypointSequence
from .stream import STREAM_MIN_SECONDS, stream_video
from .video import check_video_path, probe_video

if TYPE_CHECKING:
    from .classifier import PoseActionClassifier


def predict_action(video: str | os.PathLike | KeypointSequence,
                   model: str | os.PathLike | PoseActionClassifier | None = None, top_k: int = 3,
                   stride: int = 1, max_frames: int | None = None, smoothing: int = 3,
                   progress: bool = False, streaming: bool | None = None,
                   keypoints_dir: str | os.PathLike | None = None, people: str = "one") -> ActionPrediction:
    """Recognise the action in a video file (or an already extracted KeypointSequence).

    ``model``: a shipped model name, a bundle folder, a fitted PoseActionClassifier, or None
    for the shipped default. Body and hand keypoints are extracted if the model uses hands.
    Returns an :class:`ActionPrediction` (label, all probabilities, top-k, frames read,
    person fraction and a smoothed timeline: one segment per run of equal window labels).
    ``streaming`` (default: only for videos longer than ``stream.STREAM_MIN_SECONDS``) keeps only
    one model window of keypoints in memory (see :mod:`posehar.stream`); streamed results keep
    their keypoints only if ``keypoints_dir`` is given (as memmaps in a new folder inside it), else ``keypoints`` is None.
    ``people="all"`` finds and tracks every person (body keypoints only, see
    :mod:`posehar.multipose.people` and docs/multi_person.md): the result is then a
    ``PeoplePrediction`` whose ``people`` lists each tracked person's action and timeline (empty when
    nobody is found). Multi-person mode is not streamed.
    A path ending in ``.npz`` is read as a saved KeypointSequence (``posehar pose -o``).
    Raises VideoError for a missing, empty or undecodable file, ValueError or TypeError for an
    argument out of range, and scikit-learn's NotFittedError for an unfitted classifier.
    """
    check_people(people)
    for name, value in (("top_k", top_k), ("stride", stride), ("smoothing", smoothing)):
        check_count(name, value)
    check_count("max_frames", max_frames, optional=True)
    if not isinstance(video, (str, os.PathLike, KeypointSequence)):
        raise TypeError(f"video must be a video file path or a KeypointSequence, got {type(video).__name__}")
    if not isinstance(video, KeypointSequence) and str(video).lower().endswith(".npz"):
        video = KeypointSequence.load(video)  # keypoints saved by `posehar pose`, as the command line reads them
    if isinstance(video, KeypointSequence):
        if people == "all":
            raise PoseharError("people='all' (--people all) needs a video; a keypoint sequence holds one person")
        result = predict_sequence(video, get_model(model), top_k=top_k, smoothing=smoothing)
    else:
        check_video_path(video)  # a bad path is reported before the model is even looked up
        clf = get_model(model)
        check_is_fitted(clf, "encoder_")
        if people == "one" and clf.feature_config_.layout == PAIR_LAYOUT:
            raise PoseharError(f"{model_label(model)} reads pairs of people (two-person interactions): use "
                               "people='all' (--people all), which tracks everyone and reads the two in view "
                               "together longest")
        if people == "all":
            from .multipose.people import predict_people

            result = predict_people(video, clf, top_k=top_k, stride=stride, max_frames=max_frames,
                                    smoothing=smoothing, progress=progress)
            result.model = model_label(model)
            return result
        hands = clf.feature_config_.hands
        settings = PoseSettings(keypoints="holistic" if hands else "body", stride=stride, max_frames=max_frames)
        if streaming is None:
            info = probe_video(video)
            kept = min(info.frame_count, max_frames * stride) if max_frames else info.frame_count
            streaming = kept / info.fps > STREAM_MIN_SECONDS
        if streaming:
            result = _predict_streamed(video, clf, settings, top_k=top_k, smoothing=smoothing,
                                       keypoints_dir=keypoints_dir, progress=progress)
        else:
            seq = extract_keypoints(video, settings, progress=progress)
            result = predict_sequence(seq, clf, top_k=top_k, smoothing=smoothing)
    result.model = model_label(model)
    return result


def _predict_streamed(video, clf, settings, top_k: int = 3, smoothing: int = 3,
                      keypoints_dir: str | os.PathLike | None = None, progress: bool = False) -> ActionPrediction:
    """``predict_action`` for a streamed video (see :mod:`posehar.stream`)."""
    run = stream_video(video, clf, settings, keypoints_dir=keypoints_dir, progress=progress)
    n = run.frames_read
    common = {"frames_read": n, "person_fraction": run.present_frames / n, "fps": run.fps, "duration_s": n / run.fps,
              "source": run.source, "model": "", "keypoints": run.keypoints}
    if not run.present_frames:
        return ActionPrediction(NO_PERSON, 0.0, {}, [], **common)
    w = run.windows
    return summarise_windows(
        clf, np.stack([x.proba for x in w]), np.array([x.novelty for x in w]), np.array([x.present for x in w]),
        [(x.start_frame, x.end_frame) for x in w], run.source_fps, top_k=top_k, smoothing=smoothing, **common)
