"""The trained TF-IDF classifier's probabilities for one message, without scikit-learn's
per-call machinery: the same n-grams, weights and softmax, read from the fitted pipeline.

scikit-learn's transform and predict_proba cost about a millisecond for one short message (most
of it building matrices); a turn needs one message scored, so this computes the few non-zero
features with dictionary look-ups and multiplies only their columns of the coefficients.
`tests/nlu/test_classifier.py` checks it against the pipeline.
"""

from __future__ import annotations

import math
import re

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

_SPACES = re.compile(r"\s\s+")


class FastScores:
    def __init__(self, pipeline: Pipeline) -> None:
        union, classifier = pipeline.steps[0][1], pipeline.steps[-1][1]
        assert isinstance(classifier, LogisticRegression)
        self.classes: list[str] = [str(c) for c in classifier.classes_]
        self._families: list[tuple[TfidfVectorizer, dict[str, int], np.ndarray, int]] = []
        offset = 0
        for _, vectorizer in union.transformer_list:
            vocabulary = dict(vectorizer.vocabulary_)
            self._families.append((vectorizer, vocabulary, vectorizer.idf_, offset))
            offset += len(vocabulary)
        # Columns per feature (features x classes), float32: a turn reads a few hundred rows.
        self._coef = np.ascontiguousarray(classifier.coef_.T, dtype=np.float32)
        self._intercept = classifier.intercept_.astype(np.float32)
        self._binary = len(self.classes) == 2

    def proba(self, text: str) -> np.ndarray:
        """The probability of each class (in `classes` order) for `text`."""
        rows: list[int] = []
        values: list[float] = []
        for vectorizer, vocabulary, idf, offset in self._families:
            counts: dict[int, int] = {}
            for gram in _grams(vectorizer, text):
                index = vocabulary.get(gram)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            weights = {i: c * float(idf[i]) for i, c in counts.items()}
            norm = math.sqrt(sum(w * w for w in weights.values()))
            if norm:
                rows.extend(offset + i for i in weights)
                values.extend(w / norm for w in weights.values())
        scores = self._intercept.copy()
        if rows:
            scores += np.asarray(values, dtype=np.float32) @ self._coef[rows]
        if self._binary:  # one column of coefficients: the second class's log-odds
            p = 1.0 / (1.0 + math.exp(-float(scores[0])))
            return np.array([1.0 - p, p])
        scores = scores.astype(np.float64)
        scores -= scores.max()
        exp = np.exp(scores)
        return exp / exp.sum()


def _grams(vectorizer: TfidfVectorizer, text: str) -> list[str]:
    """The n-grams scikit-learn's analyzer yields for `text` (word or char_wb, lower-cased)."""
    low, high = vectorizer.ngram_range
    text = text.lower()
    if vectorizer.analyzer == "word":
        tokens = re.findall(vectorizer.token_pattern, text)
        grams = list(tokens) if low == 1 else []
        for n in range(max(low, 2), high + 1):
            grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        return grams
    grams = []
    for word in _SPACES.sub(" ", text).split():
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[offset : offset + n])
            while offset + n < length:
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:  # the word is shorter than n: it was taken whole once
                break
    return grams
