"""The files of a posehar model bundle folder, named once (see :mod:`posehar.bundle`)."""

BUNDLE_FORMAT = "posehar-model"  # config.json's "format"
CONFIG = "config.json"
ENCODER = "encoder.safetensors"
CLASSIFIER = "classifier.npz"
MODEL_CARD = "README.md"
BUNDLE_FILES = frozenset({CONFIG, ENCODER, CLASSIFIER, MODEL_CARD})
