"""Derives Data/digits_multilabel from Data/digits: three yes/no labels per image, for nnc's multi-label example.

Each row of Data/digits/{train,test}.csv is a digit label followed by the 64 pixels of an 8x8 image
(scikit-learn's load_digits). The derived files keep the 64 pixels (header pixel_0 ... pixel_63) and
replace the digit by three 0/1 columns derived from it:
- even:           the digit is 0, 2, 4, 6 or 8;
- greater_than_4: the digit is 5, 6, 7, 8 or 9;
- loop:           the digit's usual glyph has a closed loop: 0, 6, 8 or 9.
The digit itself is not a column, so a model sees only the pixels. Row order is unchanged.

It also prints a scikit-learn baseline on the derived test split (an MLPClassifier on standardized
pixels, which fits the three labels jointly).

Run from the repository root: python3 scripts/make_digit_labels.py
"""

import csv

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, average_precision_score, f1_score, hamming_loss
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

LABELS = {
    "even": lambda d: d % 2 == 0,
    "greater_than_4": lambda d: d > 4,
    "loop": lambda d: d in (0, 6, 8, 9),
}


def convert(source, target):
    pixels, labels = [], []
    with open(source) as infile, open(target, "w", newline="") as outfile:
        writer = csv.writer(outfile, lineterminator="\n")
        writer.writerow([f"pixel_{i}" for i in range(64)] + list(LABELS))
        for row in csv.reader(infile):
            digit = int(row[0])
            derived = [int(rule(digit)) for rule in LABELS.values()]
            writer.writerow(row[1:] + derived)
            pixels.append([float(v) for v in row[1:]])
            labels.append(derived)
    return np.array(pixels), np.array(labels)


def main():
    x_train, y_train = convert("Data/digits/train.csv", "Data/digits_multilabel/train.csv")
    x_test, y_test = convert("Data/digits/test.csv", "Data/digits_multilabel/test.csv")
    model = make_pipeline(
        StandardScaler(), MLPClassifier(hidden_layer_sizes=(64,), max_iter=2000, random_state=0)
    ).fit(x_train, y_train)
    scores = model.predict_proba(x_test)
    predicted = (scores >= 0.5).astype(int)
    print(f"scikit-learn {sklearn.__version__} MLPClassifier(64) on the test split ({len(y_test)} samples):")
    print(f"  subset accuracy {accuracy_score(y_test, predicted):.4f}")
    print(f"  hamming loss    {hamming_loss(y_test, predicted):.4f}")
    print(f"  f1 micro        {f1_score(y_test, predicted, average='micro'):.4f}")
    print(f"  f1 macro        {f1_score(y_test, predicted, average='macro'):.4f}")
    print(f"  mAP             {average_precision_score(y_test, scores, average='macro'):.4f}")


if __name__ == "__main__":
    main()
