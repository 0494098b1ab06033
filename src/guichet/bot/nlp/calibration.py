"""Turn raw retrieval evidence into an estimated probability that the top article is the right one.

Raw scores mean different things in different knowledge bases (a cosine of 0.85 is a strong match among
ten topics and a weak one among ten thousand similar ones), so thresholds are set on a probability
instead. The probability is a logistic regression over three features of a candidate:

* `similarity`  soft-max cosine between the query and the article's phrasings (absolute evidence),
                rescaled as (cosine - 0.9) / 0.05 because e5 cosines live in a narrow band,
* `lexical`     normalised BM25 in [0, 1] (absolute evidence),
* `margin`      fused score minus the best other article's fused score (relative evidence).

It is fitted on the knowledge base's own phrasings: a held-out fold of phrasings is searched against an
index built from the rest; a hit on the phrasing's own article is a positive. A phrasing whose article has
no other phrasing left cannot be found, and one article in ten leaves the index whole with one of its
questions asked (retrieval.calibration_holdout): realistic "not in the knowledge base" negatives.
The fit is regularised towards a reference calibration so a ten-article knowledge base still gets sensible
numbers, and falls back to it when the held-out fold has fewer than ten hits or ten misses — always the case
for a FAQ with one question per article, where no phrasing can be held out. The reference mixes two fits,
as the fusion weights do (retrieval.profile_weights): one on a phrasing-rich base, one on a FAQ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FEATURES = ("similarity", "lexical", "margin")
# Reference coefficients (bias first), used as the centre of the regularisation so small knowledge bases
# inherit a sane shape, and alone by bases that do not calibrate themselves. Both are fitted on validation
# queries with out-of-scope ones counted as misses, by `python -m guichet.bot.nlp.tuning` (refit whenever the
# fusion changes):
# * phrasing-rich: BANKING77 training rows outside the 10 shots, against the 10-shot base with one intent in
#   ten left out (so its questions are out of scope);
# * single-question FAQ: tests/bot/fixtures/fr_covid_dev_queries.csv with the single-question weights.
PRIORS = {
    "phrasings": np.array([-2.37, 1.43, 0.36, 0.84]),
    "single_question": np.array([-1.46, 1.24, 2.91, 1.15]),
}
PRIOR = PRIORS["phrasings"]
SIMILARITY_CENTRE = 0.9
SIMILARITY_SCALE = 0.05
PRIOR_STRENGTH = 100.0
MIN_EACH_OUTCOME = 10


@dataclass(frozen=True)
class Calibrator:
    coefficients: np.ndarray
    fitted_on: int

    def probability(self, features: np.ndarray) -> np.ndarray:
        """P(correct) for rows of `features` (columns as in FEATURES)."""
        logits = self.coefficients[0] + features @ self.coefficients[1:]
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -40, 40)))


def reference_coefficients(richness: float = 1.0) -> np.ndarray:
    """The reference calibration for a base `richness` phrasing-rich (1: all articles, 0: none)."""
    return richness * PRIORS["phrasings"] + (1.0 - richness) * PRIORS["single_question"]


def default_calibrator(richness: float = 1.0) -> Calibrator:
    return Calibrator(reference_coefficients(richness), 0)


def fit_calibrator(
    features: np.ndarray, correct: np.ndarray, iterations: int = 50, richness: float = 1.0,
) -> Calibrator:
    """Maximum a-posteriori logistic regression (Newton steps), Gaussian prior centred on PRIOR.

    Without at least MIN_EACH_OUTCOME hits and misses the data cannot say where the boundary lies (a base
    with one title per article yields only misses), so the reference calibration is kept.
    """
    hits = int(correct.sum())
    if hits < MIN_EACH_OUTCOME or len(correct) - hits < MIN_EACH_OUTCOME:
        return default_calibrator(richness)
    centre = reference_coefficients(richness)
    design = np.hstack([np.ones((len(features), 1)), features.astype(np.float64)])
    labels = correct.astype(np.float64)
    # Start from zero, not from the prior: Newton steps from a saturated start overshoot.
    weights = np.zeros_like(centre)
    penalty = PRIOR_STRENGTH * np.eye(len(weights)) / 100.0
    for _ in range(iterations):
        predicted = 1.0 / (1.0 + np.exp(-np.clip(design @ weights, -40, 40)))
        gradient = design.T @ (predicted - labels) + penalty @ (weights - centre)
        hessian = (design * (predicted * (1 - predicted))[:, None]).T @ design + penalty
        step = np.linalg.solve(hessian, gradient)
        step *= min(1.0, 2.0 / max(np.abs(step).max(), 1e-12))  # damped: at most 2 per coefficient
        weights -= step
        if np.abs(step).max() < 1e-6:
            break
    return Calibrator(weights, len(features))
