"""Classification reports as `posehar evaluate` prints them."""

from __future__ import annotations

from posehar.evaluation import Report


def test_the_report_lists_the_classes_the_data_holds_or_the_model_answered():
    classes = [f"action_{i:02d}" for i in range(20)]
    y_true = ["action_01"] * 4 + ["action_02"] * 3 + ["action_03"] * 2
    y_pred = ["action_01"] * 3 + ["unknown"] + ["action_02"] * 2 + ["action_05"] + ["action_03"] * 2
    report = Report.from_predictions(y_true, y_pred, classes)
    assert report.support[1:4] == [4, 3, 2] and sum(report.support) == 9
    text = report.text()
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.startswith("action_")}
    assert set(rows) == {"action_01", "action_02", "action_03", "action_05"}  # not the 16 others
    assert rows["action_01"] == ["1.000", "0.750", "4"]
    assert rows["action_05"] == ["0.000", "—", "0"]  # answered, never true: no recall to give
    assert "16 of the model's classes neither in the data nor answered" in text
    matrix = text.split("confusion matrix (rows true, columns predicted):\n")[1].splitlines()
    assert matrix[0].split() == ["3", "0", "0", "0", "action_01"]  # the unknown answer is in no column
    wide = Report.from_predictions(classes, classes, classes).text()
    assert "confusion matrix of 20 classes: in the PNG" in wide and "rows true" not in wide
