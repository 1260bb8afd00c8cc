"""Test R² of scikit-learn baselines on Data/diabetes, the split nnc's regression example uses.

Split: Data/diabetes/train.csv holds the first 353 rows of scikit-learn's raw diabetes data (in its
original order), test.csv the last 89 (20%). Features are standardized with the training rows' mean
and standard deviation, as the spec's normalization does. The MLP also standardizes the target with
the training statistics (as `data.normalize_targets: true`) and undoes it for predictions.

Run from the repository root: python3 scripts/regression_baselines.py
"""

import numpy as np
import sklearn
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, r2_score, root_mean_squared_error
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def load(path):
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    return table[:, :-1], table[:, -1]


def main():
    x_train, y_train = load("Data/diabetes/train.csv")
    x_test, y_test = load("Data/diabetes/test.csv")
    models = {
        "LinearRegression": make_pipeline(StandardScaler(), LinearRegression()),
        "MLPRegressor(64, 64)": TransformedTargetRegressor(
            regressor=make_pipeline(
                StandardScaler(),
                MLPRegressor(
                    hidden_layer_sizes=(64, 64), alpha=1e-2, learning_rate_init=1e-3, max_iter=2000,
                    early_stopping=True, random_state=0,
                ),
            ),
            transformer=StandardScaler(),
        ),
    }
    print(f"scikit-learn {sklearn.__version__}; train {len(y_train)}, test {len(y_test)}")
    print(f"{'model':<22} {'test R²':>8} {'MAE':>8} {'RMSE':>8}")
    for name, model in models.items():
        predictions = model.fit(x_train, y_train).predict(x_test)
        print(
            f"{name:<22} {r2_score(y_test, predictions):>8.4f} {mean_absolute_error(y_test, predictions):>8.2f} "
            f"{root_mean_squared_error(y_test, predictions):>8.2f}"
        )


if __name__ == "__main__":
    main()
