"""Writes metrics.json (classification), regression.json and multilabel.json: cases of targets,
predictions and scores with the values scikit-learn computes for them. The Swift tests
(Tests/NNCMetricsTests) compare NNCMetrics against these files to 1e-9.

Run with scikit-learn installed (the file records the version): python3 make_fixtures.py
Conventions that scikit-learn leaves open or answers with NaN (documented in the README):
- precision/recall/F1 use scikit-learn's default labels (classes in y_true or y_pred), zero_division=0;
  a class in neither is null per class;
- multi-label precision/recall/F1 keep every label (scikit-learn's multilabel default), zero_division=0;
- max_error, which scikit-learn defines for one output only, is computed per output column and its
  uniform average is the mean of those;
- ROC-AUC and average precision per class are one class against the rest; a class without positives
  (or, for ROC-AUC, without negatives) is null and the macro average is taken over the other classes.
"""

import json
import math
import warnings

import numpy as np
import sklearn
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    explained_variance_score,
    hamming_loss,
    log_loss,
    max_error,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_curve,
    precision_recall_fscore_support,
    roc_auc_score,
    r2_score,
    roc_curve,
    root_mean_squared_error,
    top_k_accuracy_score,
)

warnings.simplefilter("ignore")


def argmax(scores):
    # numpy's argmax takes the first maximum, as nnc's prediction does.
    return [int(i) for i in np.argmax(scores, axis=1)]


def number(x):
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def case(name, labels, scores, predictions=None, positive_class=1):
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    n, k = scores.shape
    predictions = np.asarray(argmax(scores) if predictions is None else predictions)
    onehot = np.zeros((n, k))
    onehot[np.arange(n), labels] = 1
    expected = {
        "accuracy": accuracy_score(labels, predictions),
        "balanced_accuracy": balanced_accuracy_score(labels, predictions),
        "confusion_matrix": confusion_matrix(labels, predictions, labels=range(k)).tolist(),
        "confusion_matrix_normalized": confusion_matrix(
            labels, predictions, labels=range(k), normalize="true"
        ).tolist(),
        "log_loss": log_loss(labels, scores, labels=range(k)),
    }
    top = {}
    for kk in range(1, k + 1):
        if k == 2:
            top[str(kk)] = top_k_accuracy_score(labels, scores[:, 1], k=kk, labels=range(k))
        else:
            top[str(kk)] = top_k_accuracy_score(labels, scores, k=kk, labels=range(k))
    expected["top_k_accuracy"] = top

    present = sorted(set(labels.tolist()) | set(predictions.tolist()))
    p, r, f, s = precision_recall_fscore_support(labels, predictions, zero_division=0)
    for index, metric in enumerate(["precision", "recall", "f1"]):
        values = (p, r, f)[index]
        per_class = [None] * k
        for position, c in enumerate(present):
            per_class[c] = float(values[position])
        entry = {"per_class": per_class}
        for average in ["macro", "micro", "weighted"]:
            entry[average] = precision_recall_fscore_support(
                labels, predictions, average=average, zero_division=0
            )[index]
        if k == 2:
            entry["binary"] = precision_recall_fscore_support(
                labels, predictions, average="binary", pos_label=positive_class, zero_division=0
            )[index]
        expected[metric] = entry

    def ranking(binary_metric, defined):
        per_class = [number(binary_metric(onehot[:, c], scores[:, c])) if defined(c) else None for c in range(k)]
        kept = [c for c in range(k) if per_class[c] is not None]
        entry = {"per_class": per_class}
        return entry, kept

    positives = onehot.sum(axis=0)
    roc, kept = ranking(roc_auc_score, lambda c: 0 < positives[c] < n)
    roc["macro"] = roc_auc_score(onehot[:, kept], scores[:, kept], average="macro") if kept else None
    roc["weighted"] = roc_auc_score(onehot, scores, average="weighted")
    roc["micro"] = roc_auc_score(onehot.ravel(), scores.ravel())
    if k > 2 and len(kept) == k:
        # The multi-class one-vs-rest call agrees where every class is defined.
        for average in ["macro", "weighted"]:
            assert abs(
                roc_auc_score(labels, scores, multi_class="ovr", average=average, labels=range(k))
                - roc[average]
            ) < 1e-12
    if k == 2:
        roc["binary"] = number(roc_auc_score(labels == positive_class, scores[:, positive_class])) if 0 < (labels == positive_class).sum() < n else None
    expected["roc_auc"] = roc

    ap, kept = ranking(average_precision_score, lambda c: positives[c] > 0)
    ap["macro"] = average_precision_score(onehot[:, kept], scores[:, kept], average="macro") if kept else None
    ap["weighted"] = average_precision_score(onehot, scores, average="weighted")
    ap["micro"] = average_precision_score(onehot, scores, average="micro")
    if k == 2:
        ap["binary"] = number(average_precision_score(labels == positive_class, scores[:, positive_class])) if (labels == positive_class).sum() > 0 else None
    expected["average_precision"] = ap

    curves = []
    for c in range(k):
        entry = {"class": c}
        if 0 < positives[c] < n:
            fpr, tpr, thresholds = roc_curve(onehot[:, c], scores[:, c])
            entry["roc"] = {
                "fpr": [number(x) for x in fpr],
                "tpr": [number(x) for x in tpr],
                "thresholds": [number(x) for x in thresholds],
            }
        if positives[c] > 0:
            precision, recall, thresholds = precision_recall_curve(onehot[:, c], scores[:, c])
            entry["pr"] = {
                "precision": [number(x) for x in precision],
                "recall": [number(x) for x in recall],
                "thresholds": [number(x) for x in thresholds],
            }
        curves.append(entry)
    expected["curves"] = curves

    return {
        "name": name,
        "classes": k,
        "positive_class": positive_class,
        "labels": labels.tolist(),
        "predictions": predictions.tolist(),
        "scores": scores.ravel().tolist(),
        "expected": expected,
    }


def probabilities(rng, n, k, decimals):
    raw = rng.dirichlet(np.ones(k), size=n)
    rounded = np.round(raw, decimals)
    # Rounding keeps rows near one; put the remainder on the last column so rows sum to one exactly
    # enough for roc_auc_score's multi-class check.
    rounded[:, -1] = 1 - rounded[:, :-1].sum(axis=1)
    return np.clip(rounded, 0, 1)


def regression_case(name, targets, predictions):
    targets = np.asarray(targets, dtype=np.float64)
    predictions = np.asarray(predictions, dtype=np.float64)
    if targets.ndim == 1:
        targets = targets[:, None]
        predictions = predictions[:, None]
    outputs = targets.shape[1]
    expected = {}
    for key, metric in [
        ("mae", mean_absolute_error),
        ("mse", mean_squared_error),
        ("rmse", root_mean_squared_error),
        ("r2", r2_score),
        ("explained_variance", explained_variance_score),
    ]:
        expected[key] = {
            "raw_values": [number(x) for x in metric(targets, predictions, multioutput="raw_values")],
            "uniform_average": number(metric(targets, predictions, multioutput="uniform_average")),
        }
    raw = [max_error(targets[:, k], predictions[:, k]) for k in range(outputs)]
    expected["max_error"] = {"raw_values": raw, "uniform_average": float(np.mean(raw))}
    return {
        "name": name,
        "outputs": outputs,
        "targets": targets.ravel().tolist(),
        "predictions": predictions.ravel().tolist(),
        "expected": expected,
    }


def regression_cases():
    rng = np.random.default_rng(20261203)
    cases = []
    n = 50
    targets = rng.normal(3, 2, size=n)
    cases.append(regression_case("single_output", targets, targets + rng.normal(0, 0.8, size=n)))

    n = 40
    targets = rng.normal([0, 10, -5], [1, 4, 0.5], size=(n, 3))
    predictions = targets + rng.normal(0, [0.5, 3, 1], size=(n, 3))
    cases.append(regression_case("three_outputs", targets, predictions))

    # Biased predictions: explained variance ignores a constant offset, R² does not.
    targets = rng.uniform(-1, 1, size=(30, 2))
    cases.append(regression_case("offset", targets, targets + [0.5, -2] + rng.normal(0, 0.1, size=(30, 2))))

    # Constant targets: R² and explained variance are 1 for an exact prediction, 0 otherwise.
    constant = np.full((12, 2), 4.0)
    predictions = constant.copy()
    predictions[:, 1] += rng.normal(0, 1, size=12)
    cases.append(regression_case("constant_target", constant, predictions))

    targets = rng.normal(0, 1, size=(20, 2))
    cases.append(regression_case("perfect", targets, targets.copy()))

    # Worse than predicting the mean: negative R².
    targets = rng.normal(0, 1, size=25)
    cases.append(regression_case("negative_r2", targets, -targets + rng.normal(0, 0.5, size=25)))
    return cases


def multilabel_case(name, targets, scores, threshold=0.5):
    targets = np.asarray(targets, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    n, k = targets.shape
    predictions = (scores >= threshold).astype(np.int64)
    expected = {
        "subset_accuracy": accuracy_score(targets, predictions),
        "hamming_loss": hamming_loss(targets, predictions),
        "support": targets.sum(axis=0).tolist(),
    }
    for index, metric in enumerate(["precision", "recall", "f1"]):
        entry = {
            "per_label": [
                float(x)
                for x in precision_recall_fscore_support(targets, predictions, average=None, zero_division=0)[index]
            ]
        }
        for average in ["macro", "micro", "weighted", "samples"]:
            entry[average] = float(
                precision_recall_fscore_support(targets, predictions, average=average, zero_division=0)[index]
            )
        expected[metric] = entry

    positives = targets.sum(axis=0)

    def ranking(metric, defined):
        kept = [c for c in range(k) if defined(c)]
        per_label = [number(metric(targets[:, c], scores[:, c])) if c in kept else None for c in range(k)]
        entry = {"per_label": per_label}
        entry["macro"] = number(metric(targets[:, kept], scores[:, kept], average="macro")) if kept else None
        entry["weighted"] = number(metric(targets[:, kept], scores[:, kept], average="weighted")) if kept else None
        return entry

    roc = ranking(roc_auc_score, lambda c: 0 < positives[c] < n)
    roc["micro"] = number(roc_auc_score(targets.ravel(), scores.ravel()))
    expected["roc_auc"] = roc
    ap = ranking(average_precision_score, lambda c: positives[c] > 0)
    ap["micro"] = number(average_precision_score(targets, scores, average="micro"))
    expected["average_precision"] = ap
    return {
        "name": name,
        "labels": k,
        "threshold": threshold,
        "targets": targets.ravel().tolist(),
        "scores": scores.ravel().tolist(),
        "predictions": predictions.ravel().tolist(),
        "expected": expected,
    }


def multilabel_cases():
    rng = np.random.default_rng(20261204)
    cases = []
    # Five labels, scores informative and rounded to two decimals (ties).
    n, k = 60, 5
    targets = (rng.uniform(size=(n, k)) < [0.5, 0.3, 0.2, 0.6, 0.1]).astype(int)
    scores = np.clip(np.round(0.35 * targets + rng.uniform(0, 0.65, size=(n, k)), 2), 0, 1)
    cases.append(multilabel_case("random", targets, scores))
    cases.append(multilabel_case("random_threshold_0.3", targets, scores, threshold=0.3))

    # Label 1 never true and never predicted, label 2 always true, and samples with empty label sets.
    n = 16
    targets = np.zeros((n, 4), dtype=int)
    targets[:, 2] = 1
    targets[:, 0] = rng.integers(0, 2, size=n)
    targets[:, 3] = rng.integers(0, 2, size=n)
    targets[:4, :] = 0
    scores = np.round(rng.uniform(0, 1, size=(n, 4)), 1)
    scores[:, 1] = np.round(rng.uniform(0, 0.4, size=n), 1)
    scores[:3, :] = 0.1
    cases.append(multilabel_case("degenerate_labels", targets, scores))

    # Perfect separation.
    targets = rng.integers(0, 2, size=(20, 3))
    targets[0] = [0, 0, 0]
    targets[1] = [1, 1, 1]
    scores = np.where(targets == 1, 0.9, 0.2)
    cases.append(multilabel_case("perfect", targets, scores))
    return cases


def main():
    rng = np.random.default_rng(20261125)
    cases = []

    # Binary, with informative scores rounded to two decimals (ties).
    n = 40
    labels = rng.integers(0, 2, size=n)
    p1 = np.clip(np.round(0.3 * labels + rng.uniform(0, 0.7, size=n), 2), 0, 1)
    binary = np.stack([1 - p1, p1], axis=1)
    cases.append(case("binary", labels, binary))
    cases.append(case("binary_positive_class_0", labels, binary, positive_class=0))

    # Multi-class: four classes, Dirichlet probabilities nudged toward the label.
    n = 60
    labels = rng.integers(0, 4, size=n)
    scores = probabilities(rng, n, 4, 3)
    scores[np.arange(n), labels] += 0.15
    scores = np.round(scores / scores.sum(axis=1, keepdims=True), 3)
    scores[:, -1] = 1 - scores[:, :-1].sum(axis=1)
    cases.append(case("multiclass", labels, scores))

    # Imbalanced: 50 / 8 / 2 samples.
    labels = np.array([0] * 50 + [1] * 8 + [2] * 2)
    rng.shuffle(labels)
    scores = probabilities(rng, len(labels), 3, 2)
    scores[np.arange(len(labels)), labels] += 0.3
    scores = scores / scores.sum(axis=1, keepdims=True)
    cases.append(case("imbalanced", labels, scores))

    # Perfect: the label always has the highest probability.
    labels = np.array([0, 1, 2, 0, 1, 2, 2, 1, 0, 0])
    scores = np.full((10, 3), 0.1)
    scores[np.arange(10), labels] = 0.8
    cases.append(case("perfect", labels, scores))

    # Constant scores: every sample gets the same probabilities, so every prediction is class 0.
    labels = np.array([0, 1, 2, 1, 2, 2, 0, 1])
    scores = np.full((8, 3), 1 / 3)
    cases.append(case("constant_score", labels, scores))

    # Missing classes: class 3 is in neither labels nor predictions; class 2 is predicted, never true.
    labels = np.array([0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1])
    predictions = np.array([0, 1, 2, 1, 0, 0, 1, 2, 0, 1, 0, 1])
    scores = np.array(
        [
            [0.7, 0.1, 0.1, 0.1],
            [0.2, 0.6, 0.1, 0.1],
            [0.3, 0.2, 0.4, 0.1],
            [0.1, 0.7, 0.1, 0.1],
            [0.5, 0.3, 0.1, 0.1],
            [0.5, 0.4, 0.05, 0.05],
            [0.2, 0.5, 0.2, 0.1],
            [0.2, 0.2, 0.5, 0.1],
            [0.6, 0.2, 0.1, 0.1],
            [0.3, 0.6, 0.05, 0.05],
            [0.4, 0.3, 0.2, 0.1],
            [0.1, 0.8, 0.05, 0.05],
        ]
    )
    cases.append(case("missing_class", labels, scores, predictions=predictions))

    # Heavy ties: three distinct scores for 30 binary samples.
    labels = rng.integers(0, 2, size=30)
    p1 = np.where(labels == 1, rng.choice([0.5, 0.8], size=30), rng.choice([0.2, 0.5], size=30))
    cases.append(case("tied_scores", labels, np.stack([1 - p1, p1], axis=1)))

    # Ties across classes in one row (top-k tie rule), and probabilities of exactly 0 and 1 (log-loss clip).
    labels = np.array([0, 1, 2, 2, 1])
    scores = np.array(
        [
            [0.4, 0.4, 0.2],
            [0.4, 0.4, 0.2],
            [0.0, 0.0, 1.0],
            [0.5, 0.5, 0.0],
            [0.25, 0.25, 0.5],
        ]
    )
    cases.append(case("row_ties", labels, scores))

    write("metrics.json", cases)
    write("regression.json", regression_cases())
    write("multilabel.json", multilabel_cases())


def write(path, cases):
    with open(path, "w") as out:
        json.dump({"sklearn_version": sklearn.__version__, "cases": cases}, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
