"""Every person in the frame: multi-person pose (MediaPipe Tasks PoseLandmarker built from the
wheel's own BlazePose models), a person finder, a tracker and an action per tracked person.

See docs/multi_person.md for the design, thresholds and measured figures.
"""

from __future__ import annotations

from .task_bundle import pose_task_bundle

__all__ = ["pose_task_bundle"]
