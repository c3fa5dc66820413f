"""Model cards: a README.md for a bundle, written from its training record."""

from __future__ import annotations

from typing import Any

from .features import FeatureConfig


def _cv_section(cv: dict[str, Any]) -> list[str]:
    rep = cv["report"]
    lines = [f"**{cv['accuracy_mean']:.3f} ± {cv['accuracy_std']:.3f}** accuracy ({cv['protocol']}); folds: "
             + ", ".join(f"{a:.3f}" for a in cv["fold_accuracy"]) + f" ({cv['seconds'] / 60:.1f} min).", "",
             "| class | precision | recall |", "|---|---|---|"]
    lines += [f"| {c} | {p:.3f} | {r:.3f} |" for c, p, r in zip(rep["classes"], rep["precision"], rep["recall"])]
    lines += ["", "Confusion matrix, pooled over the test folds (rows true, columns predicted):", "",
              "| | " + " | ".join(map(str, rep["classes"])) + " |", "|---" * (len(rep["classes"]) + 1) + "|"]
    lines += [f"| {c} | " + " | ".join(str(v) for v in row) + " |" for c, row in zip(rep["classes"], rep["confusion"])]
    return lines


def _sets_section(t: dict[str, Any]) -> list[str]:
    """The skeleton sets a common-body model was trained on, with where each comes from."""
    bodies = (f", each by a body whose segments are scaled by 1 ± {t['training_proportions']:g}"
              if t.get("training_proportions") else "")
    lines = [f"`{t.get('data')}`: {t['sequences']} training sequences ({t.get('training_views', 0)} extra random "
             f"viewpoints per 3D recording{bodies}) from these sets, each set's labels mapped through the vocabulary "
             f"(`{t.get('vocabulary')}`; left and right merged):", "",
             "| set | sequences used | people | source layout | repository | commit | licence (as found) |",
             "|---|---|---|---|---|---|---|"]
    for s in t["sets"]:
        licence = str(s.get("licence", "")).replace("|", "/")
        lines.append(f"| {s['set']} | {s['sequences']} | {s['people']} | {s['source_layout']} | {s.get('repo', '')} | "
                     f"{str(s.get('commit', ''))[:12]} | {licence} |")
    return lines


def _feature_blocks(fc: dict[str, Any]) -> list[str]:
    """Names of the feature blocks a bundle's model reads, in order."""
    return [name for name, _, _ in FeatureConfig(**fc).blocks()]


def _taught_data(t: dict[str, Any], taught: dict[str, Any]) -> list[str]:
    """Where a model taught with ``train --from`` comes from: its clips, and the model whose encoder it keeps."""
    counts = ", ".join(f"{c} {n}" for c, n in sorted(taught["clips_per_class"].items()))
    base = taught.get("base", {})
    made = f" (`{base['command']}`, {base['date']})" if base.get("command") else ""
    people = (f" of {taught['groups']} people (a groups file said whose each clip is)" if taught.get("groups")
              else " (no groups file: each clip counted as its own person)")
    return [f"`{t.get('data', '?')}`: {taught['clips']} clips{people}: {counts}.", "",
            f"The encoder is that of a model of {len(base.get('classes', []))} classes{made}, kept as it is; "
            "its own training data and figures are in its card, not here."]


def _taught_results(name: str, config: dict[str, Any], t: dict[str, Any], taught: dict[str, Any]) -> list[str]:
    """Results, how the head and thresholds were fit, the command and limitations of a taught model."""
    cv = taught.get("cross_validation")
    kind = "grouped by person" if cv and cv.get("grouped") else "stratified: clips of one person may be on both sides"
    thresholds = config["thresholds"]
    return [(f"Cross-validated accuracy on the clips: **{cv['accuracy']:.3f}** ({cv['folds']} folds, {kind})."
             if cv else "No cross-validated figure: too few clips a class (2 are needed) or `--cv 0`."),
            "", f"Taught with `posehar train CLIPS --from`: a logistic regression (C={config['params']['C']:g}) on the "
            f"kept encoder's temporal vectors of the clips; the 'unknown' thresholds: confidence "
            f"{thresholds['confidence']:.3f} (from the cross-validated answers; 0 without them), temporal-vector "
            f"novelty {thresholds['novelty']:.3f} (1.5 times the clips' own 99th-percentile distance to their class "
            "centres), "
            f"input novelty {thresholds['input']:.3f} (the base model's).",
            "", f"Reproduce: `{t.get('command') or 'posehar train CLIPS -o ' + name + ' --from MODEL'}`", "",
            "## Limitations", "",
            f"- Taught from {taught['clips']} clips: how well it reads other people is only as well known as the "
            "figure above says, from that few clips.",
            "- Only the classes above exist for it; anything else is at best `unknown`.",
            "- It reads what its base model's encoder can tell apart (body keypoints only for body_actions)."]


def render_model_card(name: str, config: dict[str, Any], digest: str | None = None) -> str:
    """Markdown model card for the bundle whose config.json is ``config`` (its params completed with
    the defaults of older bundles, see posehar.bundle.OLDER_BUNDLE_PARAMS) and whose digest is ``digest``."""
    t = config.get("training", {})
    p = config["params"]
    fc = config["feature_config"]
    lines = [f"# {name}", "",
             f"Classes: {', '.join(map(str, config['classes']))}. Keypoints: "
             f"{'body + both hands (MediaPipe Holistic)' if fc['hands'] else 'body only'}, layout `{fc['layout']}`"
             f"{'; hand shape read as finger joint angles and fingertip distances' if fc.get('fingers') else ''}.",
             f"Per-frame features (posehar.features): {', '.join(_feature_blocks(fc))}.",
             f"Window: {p['window']} frames at {p['fps']:g} fps; longer inputs are read in half-overlapping windows.",
             f"Made {config['created']} with " + ", ".join(f"{k} {v}" for k, v in config["versions"].items()) + ".",
             *([f"Bundle digest (`posehar info {name}`): `{digest}`. Compare it with one from a source you trust; "
                "this card is inside the bundle and proves nothing by itself."] if digest else []), "",
             "## Data", ""]
    taught = t.get("taught")
    if taught:
        lines += _taught_data(t, taught)
    elif t.get("sets"):
        lines += _sets_section(t)
    elif t.get("dataset"):
        lines.append(f"Dataset `{t['dataset']}` at `{t['root']}`, split {t['split']}: {t['protocol']}.")
    else:
        lines.append(f"`{t.get('data', '?')}`: {t.get('sequences', '?')} sequences of {len(t.get('groups', []))} "
                     "people (one file per person = one group).")
    sources = t.get("sources") or []
    if sources:
        lines += ["", "| person | source repository | commit | license | mirrored input suspected |", "|---|---|---|---|---|"]
        lines += [f"| {s['subject']} | {s['source_repo']} | {str(s['commit'])[:12]} | {s['license']} | "
                  f"{'yes' if s.get('mirrored_input_suspected') else 'no'} |" for s in sources]
    lines += ["", "## Protocol and results", ""]
    if t.get("cross_validation"):
        lines += _cv_section(t["cross_validation"])
    if t.get("test"):
        lines.append(f"Test split accuracy: **{t['test']['accuracy']:.3f}** on {t['test']['n']} clips.")
    if t.get("set_results"):
        lines += ["", "Per set, people never seen in training (each set's own labels through the vocabulary; "
                  f"{t['set_results']['protocol']}):", "", "| set | accuracy | sequences |", "|---|---|---|"]
        lines += [f"| {r['set']} | {r['accuracy']:.3f} | {r['n']} |" for r in t["set_results"]["rows"]]
    if t.get("fine_tuned_from"):
        base = t["fine_tuned_from"]
        lines += ["", f"**Fine-tuned** with `posehar train DATA --fine-tune`: the encoder started from that of a model "
                  f"of {base['classes']} classes" + (f" (`{base['command']}`, {base['date']})" if base.get("command") else "")
                  + " instead of random weights, and was then trained on this data as below."]
    if t.get("personalized"):
        per = t["personalized"]
        counts = ", ".join(f"{c} {n}" for c, n in per["clips_per_class"].items())
        lines += ["", f"**Personalised** for one person with `posehar personalize`: the logistic regression was "
                  f"adapted to {per['clips']} labelled clips of theirs ({counts}; strength {per['strength']:g}). "
                  "It is meant for that person; the figures above are those of the model before, on other people."]
    if taught:
        return "\n".join(lines + _taught_results(name, config, t, taught)) + "\n"
    held_out = f"a person-grouped validation split ({p['validation_fraction']:.0%} of the people)"
    stopped_early = p.get("early_stopping", True)
    history = config.get("history", {})
    epochs = len(history.get("loss", [])) or p["epochs"]  # fewer than p["epochs"] where max_steps cut them
    encoder = (f"the encoder is kept from its best epoch on {held_out}" if stopped_early
               else f"the encoder trains for its {epochs} epochs on the people outside {held_out}")
    refit = history.get("refit")
    nobody_held_out = history.get("validation_sequences") == 0 and not refit
    if refit:
        encoder = (f"the encoder is trained twice: first on the people outside {held_out}, whose "
                   f"{refit['first_fit']['validation_sequences']} sequences set the 'unknown' thresholds, then, "
                   f"the set having only {refit['people']} people (fewer than {p['refit_below_people']}), for its "
                   f"{epochs} epochs on every person, with the novelty thresholds scaled to that second fit")
    elif nobody_held_out:
        because = history.get("nobody_held_out_because", "nobody was held out")
        encoder = (f"the encoder trains for its {epochs} epochs on every person ({because}; the 'unknown' "
                   "thresholds come from the training people)")
    lines += ["", f"Final model: fit on all of the data in {t.get('fit_seconds', 0):.0f} s; {encoder}, "
              f"then the logistic regression (C={p['C']:g}) is fit on every person's temporal vectors; the 'unknown' "
              f"thresholds (confidence {config['thresholds']['confidence']:.3f}, keeping "
              f"{p['unknown_coverage']:.0%} of correct {'training' if nobody_held_out else 'validation'} answers; "
              f"temporal-vector novelty {config['thresholds']['novelty']:.3f} and input novelty "
              f"{config['thresholds']['input']:.3f}, from {'training' if nobody_held_out else 'held-out'} people's "
              "windows) make it answer `unknown` on inputs unlike its training data.",
              "", "Reproduce: `" + (t.get("command") or "posehar train " + str(t.get("data", "DATA")) + f" -o {name} --cv "
              + str(len(t.get("cross_validation", {}).get("fold_accuracy", [])) or 0)) + "`", "",
              "## Limitations", "",
              *(t.get("limitations") or [
                  "- Trained on webcam recordings of people facing the camera; other viewpoints, distances and "
                  "activities are outside what it has seen, and it can be confidently wrong there."]),
              "- Only the classes above exist for it; anything else is at best `unknown`.",
              "- The cross-validation figure is for new people recorded in conditions like the training data."]
    return "\n".join(lines) + "\n"
