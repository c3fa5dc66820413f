"""Converters between posehar keypoint stores and other toolkits' formats."""
