"""Teach the default model actions it has never seen, from a few clips each, and score it on new people.

The shipped ``body_actions`` model was never trained on yoga. This example keeps its encoder, fits a
new logistic regression on ``--shots`` clips per pose from half of the people of a skeleton set, and
scores the new model on every clip of the other half, people it has never seen::

    python examples/teach_new_actions.py ../shared/data/skeletons/yoga_posepilot.npz --shots 5

Any shared-format skeleton ``.npz`` works (``docs/skeletons.md``); so does any posehar model with
``--model``. From a folder of videos instead, the command line does the same in one step:
``posehar train CLIPS -o MINE --from body_actions`` (``CLIPS/<action>/<video>``).
"""

from __future__ import annotations

import argparse

import numpy as np

from posehar.datasets.skeleton_file import SkeletonFile
from posehar.evaluation import Report
from posehar.fewshot import fit_from


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("skeletons", help="a shared-format skeleton set (.npz)")
    parser.add_argument("--model", default="body_actions", help="the model whose encoder is kept")
    parser.add_argument("--shots", type=int, default=5, help="clips per action to teach from")
    parser.add_argument("--seed", type=int, default=0, help="draws the people halves and the clips")
    parser.add_argument("-o", "--out", help="also save the taught model as a bundle folder")
    args = parser.parse_args()

    data = SkeletonFile(args.skeletons)
    rng = np.random.default_rng(args.seed)
    people = rng.permutation(sorted(set(data.subjects)))
    teachers = np.isin(data.subjects, people[: len(people) // 2])
    # `shots` clips of each action, drawn from the first half of the people only.
    taught = np.concatenate([rng.permutation(np.flatnonzero(teachers & (data.labels == action)))[: args.shots]
                             for action in np.unique(data.labels)])
    tested = np.flatnonzero(~teachers)

    model, record = fit_from(args.model, [data.sequence(int(i)) for i in taught], data.labels[taught],
                             groups=data.subjects[taught])
    predicted = model.predict([data.sequence(int(i)) for i in tested])
    report = Report.from_predictions(data.labels[tested], predicted, model.classes_)

    print(f"taught {len(taught)} clips ({args.shots} per action) of {len(people) // 2} people; "
          f"cross-validated on them: {record.get('cross_validation', {}).get('accuracy', float('nan')):.3f}")
    print(f"{len(tested)} clips of {len(people) - len(people) // 2} people never seen:\n{report.text()}")
    if args.out:
        from posehar import save_model

        save_model(model, args.out)
        print(f"saved {args.out}: posehar predict VIDEO --model {args.out}")


if __name__ == "__main__":
    main()
