"""Fuzz: split-file, groups-file and G3D XML parsers either parse or raise DatasetLayoutError."""

from __future__ import annotations

import pytest
from dataset_fixtures import fake_pose, skeleton_xml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posehar.datasets.base import decode_text
from posehar.datasets.custom import parse_groups_csv
from posehar.datasets.g3d import parse_skeleton_xml
from posehar.datasets.hmdb51 import parse_split_file
from posehar.datasets.ucf101 import parse_class_index, parse_split_list
from posehar.errors import DatasetLayoutError

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT_PARSERS = [parse_class_index, parse_split_list, parse_split_file, parse_groups_csv]

# Lines that look almost right, so the parsers get past their first checks.
NEAR_LINES = st.sampled_from([
    "1 ApplyEyeMakeup", "2 Archery", "0 X", "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1",
    "A/v_A_g1_c2.avi", "A/B/v_A_g01_c01.avi", "v_A_g01_c01.avi", "x.avi 1", "x.avi 3", "a\\b.avi 2",
    "relative_path,group", "wave/a.mp4,alice", 'a,"b', ",", "", " ", "\r", "\x00", "1 A 2",
])
NEAR_TEXT = st.lists(st.one_of(NEAR_LINES, st.text(max_size=30)), max_size=8).map("\r\n".join)

XML_PIECES = st.sampled_from([
    "<ArrayOfSkeleton>", "</ArrayOfSkeleton>", "<Skeleton>", "</Skeleton>", "<Joints>", "</Joints>",
    "<Joint>", "</Joint>", "<Position>", "</Position>", "<X>1</X>", "<Y>2e3</Y>", "<Z>-0.5</Z>", "<Z>inf</Z>",
    '<Joint x="1" y="2" z="3"/>', '<Joint name="Head" X="1" Y="1" Z="1"/>', "<JointType>HipCenter</JointType>",
    "<TrackingState>Tracked</TrackingState>", "<TrackingState>NotTracked</TrackingState>", "&amp;", "&bad;",
    "<!DOCTYPE a>", '<!ENTITY e "x">', "<?xml version='1.0'?>", "<![CDATA[x]]>", "<!-- c -->",
])
NEAR_XML = st.lists(st.one_of(XML_PIECES, st.text(max_size=5)), max_size=40).map("".join)


def _parses_or_layout_error(parse, arg):
    try:
        parse(arg)
    except DatasetLayoutError:
        pass


@pytest.mark.parametrize("parse", TEXT_PARSERS)
@FUZZ
@given(text=st.one_of(st.text(), NEAR_TEXT))
def test_text_parsers(parse, text):
    _parses_or_layout_error(parse, text)


@FUZZ
@given(data=st.binary())
def test_decode_text(data):
    _parses_or_layout_error(lambda d: decode_text(d, "fuzz"), data)


@FUZZ
@given(data=st.one_of(st.binary(), NEAR_XML.map(str.encode), NEAR_XML.map(lambda s: s.encode("utf-16"))))
def test_skeleton_xml(data):
    _parses_or_layout_error(parse_skeleton_xml, data)


@FUZZ
@given(cut=st.integers(min_value=0), flip=st.integers(min_value=0, max_value=255))
def test_skeleton_xml_corrupted(cut, flip):
    data = bytearray(skeleton_xml(fake_pose(3)).encode())
    data[cut % len(data)] = flip
    _parses_or_layout_error(parse_skeleton_xml, bytes(data[: len(data) - cut % 97]))
