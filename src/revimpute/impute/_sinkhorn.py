"""Imputation by optimal transport between batches (Muzellec et al., 2020).

Our implementation following the paper (Algorithm 1) and the reference code
(https://github.com/BorisMuzellec/MissingDataOT, ``imputers.OTimputer`` and
``utils.pick_epsilon``). The reference computes its loss with the geomloss
package (``SamplesLoss("sinkhorn", p=2, blur=eps, scaling=0.9)``); the debiased
Sinkhorn divergence with epsilon-scaling that this calls is re-implemented here
in plain PyTorch (:func:`sinkhorn_divergence`).
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from torch import Tensor

from revimpute.exceptions import InputDataError
from revimpute.impute._base import RANDOM_STATE
from revimpute.impute._numeric import _NumericImputer
from revimpute.impute._peer_utils import column_scale, draw_seeds, torch_generator

#: Rows used at most to estimate the distance quantile that sets epsilon (reference).
_EPS_MAX_POINTS = 2000


def _halved_squared_distances(x: Tensor, y: Tensor) -> Tensor:
    """Cost matrix ``|x_i - y_j|^2 / 2``, geomloss's ground cost for ``p=2``."""
    return ((x * x).sum(-1)[:, None] - 2 * x @ y.T + (y * y).sum(-1)[None, :]) / 2


def _softmin(eps: float, cost: Tensor, h: Tensor) -> Tensor:
    """Soft-min ``-eps * log sum_j exp(h_j - C_ij / eps)`` over the columns of ``cost``."""
    return -eps * torch.logsumexp(h[None, :] - cost / eps, dim=1)


def _epsilon_schedule(diameter: float, blur: float, scaling: float) -> list[float]:
    """Decreasing temperatures from ``diameter**2`` to ``blur**2`` by factors ``scaling**2``."""
    p = 2
    steps = np.arange(p * np.log(diameter), p * np.log(blur), p * np.log(scaling))
    return [diameter**p] + [float(np.exp(e)) for e in steps] + [blur**p]


def sinkhorn_divergence(x: Tensor, y: Tensor, blur: float, scaling: float = 0.9) -> Tensor:
    """Debiased entropic OT divergence between two uniform point clouds.

    ``S(x, y) = OT(x, y) - OT(x, x) / 2 - OT(y, y) / 2`` with cost
    ``|x - y|^2 / 2`` and entropic temperature ``blur**2``, solved by symmetric
    Sinkhorn iterations with epsilon-scaling and differentiated through the
    last extrapolation step: the same computation as geomloss's
    ``SamplesLoss("sinkhorn", p=2, blur=blur, scaling=scaling,
    backend="tensorized")`` (Feydy et al., AISTATS 2019), which the reference
    code calls.

    Parameters
    ----------
    x : Tensor of shape (n, d)
    y : Tensor of shape (m, d)
    blur : float
        Square root of the final entropic temperature.
    scaling : float, default=0.9
        Ratio between successive values of ``sqrt(temperature)``.

    Returns
    -------
    Tensor
        Scalar divergence, differentiable with respect to ``x`` and ``y``.
    """
    a_log = torch.full((x.shape[0],), -math.log(x.shape[0]), dtype=x.dtype)
    b_log = torch.full((y.shape[0],), -math.log(y.shape[0]), dtype=y.dtype)
    c_xy = _halved_squared_distances(x, y.detach())
    c_yx = _halved_squared_distances(y, x.detach())
    c_xx = _halved_squared_distances(x, x.detach())
    c_yy = _halved_squared_distances(y, y.detach())

    with torch.no_grad():
        both = torch.cat([x, y])
        diameter = float((both.max(dim=0).values - both.min(dim=0).values).norm())
        schedule = _epsilon_schedule(diameter if diameter > 0 else blur, blur, scaling)
        eps = schedule[0]
        g_ab = _softmin(eps, c_yx, a_log)
        f_ba = _softmin(eps, c_xy, b_log)
        f_aa = _softmin(eps, c_xx, a_log)
        g_bb = _softmin(eps, c_yy, b_log)
        for eps in schedule:
            ft_ba = _softmin(eps, c_xy, b_log + g_ab / eps)
            gt_ab = _softmin(eps, c_yx, a_log + f_ba / eps)
            ft_aa = _softmin(eps, c_xx, a_log + f_aa / eps)
            gt_bb = _softmin(eps, c_yy, b_log + g_bb / eps)
            f_ba, g_ab = 0.5 * (f_ba + ft_ba), 0.5 * (g_ab + gt_ab)
            f_aa, g_bb = 0.5 * (f_aa + ft_aa), 0.5 * (g_bb + gt_bb)

    # Last extrapolation, with gradients flowing through the cost matrices only.
    f_ba, g_ab = (
        _softmin(eps, c_xy, (b_log + g_ab / eps).detach()),
        _softmin(eps, c_yx, (a_log + f_ba / eps).detach()),
    )
    f_aa = _softmin(eps, c_xx, (a_log + f_aa / eps).detach())
    g_bb = _softmin(eps, c_yy, (b_log + g_bb / eps).detach())
    return (a_log.exp() * (f_ba - f_aa)).sum() + (b_log.exp() * (g_ab - g_bb)).sum()


def pick_epsilon(
    X: np.ndarray, quantile: float, multiplier: float, generator: torch.Generator
) -> float:
    """The reference's automatic ``eps``: a quantile of halved squared distances, times a multiplier.

    Missing cells are mean-imputed first; at most 2000 random rows are used;
    zero distances are dropped.
    """
    filled = np.where(np.isnan(X), np.nanmean(X, axis=0), X)
    idx = torch.randperm(filled.shape[0], generator=generator)[: min(_EPS_MAX_POINTS, filled.shape[0])]
    pts = torch.from_numpy(filled[idx.numpy()])
    dists = (((pts[:, None] - pts) ** 2).sum(dim=2) / 2).flatten()
    dists = dists[dists > 0]
    if dists.numel() == 0:
        return multiplier  # every row is identical: any scale works, keep it positive
    k = max(1, int(quantile * dists.numel()))
    return float(dists.kthvalue(k).values) * multiplier


class SinkhornImputer(_NumericImputer):
    """Missing-value imputation by minimising Sinkhorn divergences between batches.

    Our implementation following the paper's Algorithm 1 and the reference
    code (``OTimputer``). Every missing cell is a free parameter, initialised
    at its column mean plus Gaussian noise. At each iteration two random
    batches of rows are drawn from the completed data and the missing cells
    take an RMSprop step down the Sinkhorn divergence between the two batches:
    two batches of the same data set should look alike. Columns are
    standardised inside the estimator (the paper's experiments scale the data
    first) and mapped back afterwards.

    The method is transductive: it learns imputations, not a model.
    :meth:`fit` completes the training data and keeps it; :meth:`fit_transform`
    returns that completion (exactly the reference algorithm). :meth:`transform`
    completes new rows by running the same algorithm on the training rows
    (their imputations frozen) stacked with the new rows, whose missing cells
    are the only parameters; it costs as many iterations as fitting.

    Parameters
    ----------
    eps : float or None, default=None
        ``blur`` of the Sinkhorn divergence (its entropic temperature is
        ``eps**2``). ``None`` picks it as in the reference experiments:
        ``quantile_multiplier`` times the ``quantile`` of the halved squared
        distances between mean-imputed, standardised training rows.
    quantile : float, default=0.5
        Distance quantile used when ``eps`` is None (reference: the median).
    quantile_multiplier : float, default=0.05
        Multiplier of that quantile (reference).
    lr : float, default=1e-2
        RMSprop step size (reference).
    n_iterations : int, default=2000
        Gradient steps (reference ``OTimputer`` default; its experiment script
        uses 3000). Lower it for quick runs.
    batch_size : int, default=128
        Rows per batch (reference). As in the reference, a size above half the
        rows is lowered to the largest power of two not above half the rows.
    n_pairs : int, default=1
        Batch pairs whose divergences are summed at each step (reference).
    noise : float, default=0.1
        Standard deviation of the initial noise added to the column means, in
        standardised units (reference).
    scaling : float, default=0.9
        Epsilon-scaling ratio of the Sinkhorn iterations (reference).
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator, default=None
        Source of every random draw (initial noise, batches, the rows used to
        pick ``eps``). An int gives bitwise reproducible results; nothing
        global is seeded or drawn from (:func:`revimpute.impute._base.check_generator`).
    missing_values, add_indicator, keep_empty_features
        As in :class:`~revimpute.impute.SklearnImputer`.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in :meth:`fit`.
    mean_ : ndarray of shape (n_features,)
        Observed mean of each column (standardisation).
    scale_ : ndarray of shape (n_features,)
        Observed standard deviation of each column (1 for a constant column).
    epsilon_ : float
        The ``eps`` (blur) used, in standardised units.
    training_data_ : ndarray of shape (n_train, n_features)
        The training rows, completed and standardised; :meth:`transform`
        matches new rows against them.
    loss_history_ : list of float
        Divergence (summed over the pairs) at each iteration of :meth:`fit`.
    transform_seed_ : int
        Seed of the draws of :meth:`transform`, so that a fitted estimator
        always completes the same rows the same way.

    Notes
    -----
    Differences from the reference code: the geomloss divergence is
    re-implemented (see :func:`sinkhorn_divergence`); only the missing cells
    are parameters (the reference keeps a full matrix whose other entries get
    no gradient); computations are in float64 as in the reference; a
    non-finite loss stops the optimisation with a warning (the reference stops
    silently); the standardisation and :meth:`transform` are ours.

    References
    ----------
    B. Muzellec, J. Josse, C. Boyer and M. Cuturi, "Missing Data Imputation
    using Optimal Transport", Proceedings of the 37th International Conference
    on Machine Learning (ICML), PMLR 119:7130-7140, 2020.
    Reference code: https://github.com/BorisMuzellec/MissingDataOT

    Examples
    --------
    >>> import numpy as np
    >>> from revimpute.impute import SinkhornImputer
    >>> X = np.array([[1.0, 2.0], [np.nan, 4.0], [3.0, 6.0], [4.0, np.nan]])
    >>> X_filled = SinkhornImputer(n_iterations=20, random_state=0).fit_transform(X)
    >>> bool(np.isnan(X_filled).any())
    False
    """

    _parameter_constraints: dict = {
        "eps": [None, Interval(Real, 0, None, closed="neither")],
        "quantile": [Interval(Real, 0, 1, closed="right")],
        "quantile_multiplier": [Interval(Real, 0, None, closed="neither")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "n_iterations": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_pairs": [Interval(Integral, 1, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "scaling": [Interval(Real, 0, 1, closed="neither")],
        "random_state": RANDOM_STATE,
        **_NumericImputer._parameter_constraints,
    }

    def __init__(
        self,
        eps: float | None = None,
        quantile: float = 0.5,
        quantile_multiplier: float = 0.05,
        lr: float = 1e-2,
        n_iterations: int = 2000,
        batch_size: int = 128,
        n_pairs: int = 1,
        noise: float = 0.1,
        scaling: float = 0.9,
        random_state: object = None,
        *,
        missing_values: object = np.nan,
        add_indicator: bool = False,
        keep_empty_features: bool = False,
    ) -> None:
        super().__init__(
            missing_values=missing_values, add_indicator=add_indicator, keep_empty_features=keep_empty_features
        )
        self.eps = eps
        self.quantile = quantile
        self.quantile_multiplier = quantile_multiplier
        self.lr = lr
        self.n_iterations = n_iterations
        self.batch_size = batch_size
        self.n_pairs = n_pairs
        self.noise = noise
        self.scaling = scaling
        self.random_state = random_state

    # -- algorithm -------------------------------------------------------------

    def _batch_size_for(self, n_rows: int) -> int:
        """The reference's rule: above half the rows, use the largest power of two below it."""
        if self.batch_size > n_rows // 2:
            return 2 ** int(math.log2(n_rows // 2))
        return self.batch_size

    def _optimise(
        self,
        data: Tensor,
        missing: Tensor,
        start: Tensor,
        generator: torch.Generator,
        history: list[float] | None,
    ) -> Tensor:
        """Algorithm 1 on ``data`` (standardised, float64): free parameters at ``missing``.

        ``start`` holds the initial values of the free cells; the optimised
        values are returned in the same order (``data[missing]``).
        """
        n_rows = data.shape[0]
        batch = self._batch_size_for(n_rows)
        values = start.clone().requires_grad_(True)
        optimizer = torch.optim.RMSprop([values], lr=self.lr)
        for iteration in range(self.n_iterations):
            filled = data.masked_scatter(missing, values)
            loss = filled.new_zeros(())
            for _ in range(self.n_pairs):
                idx1 = torch.randperm(n_rows, generator=generator)[:batch]
                idx2 = torch.randperm(n_rows, generator=generator)[:batch]
                loss = loss + sinkhorn_divergence(filled[idx1], filled[idx2], self.epsilon_, self.scaling)
            if not torch.isfinite(loss):
                warnings.warn(
                    f"{type(self).__name__}: the Sinkhorn loss became {loss.item()} at iteration "
                    f"{iteration}; optimisation stopped there (try a larger eps).",
                    RuntimeWarning,
                    stacklevel=3,
                )
                break
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if history is not None:
                history.append(loss.item())
        return values.detach()

    # -- the numeric family's hooks ---------------------------------------------

    def _fit_values(self, X: np.ndarray, missing: np.ndarray) -> None:
        """Complete ``X`` by batch optimal transport and keep it (``training_data_``).

        Raises
        ------
        InputDataError
            If ``X`` has fewer than 2 rows.
        """
        X = np.where(missing, np.nan, X)
        if X.shape[0] < 2:
            raise InputDataError(
                f"{type(self).__name__}.fit: needs at least 2 rows to compare batches, "
                f"got n_samples = {X.shape[0]}."
            )
        eps_seed, train_seed, transform_seed = draw_seeds(self.random_state, 3)
        self.mean_, self.scale_ = column_scale(X)
        standard = (X - self.mean_) / self.scale_
        self.epsilon_ = (
            float(self.eps)
            if self.eps is not None
            else pick_epsilon(standard, self.quantile, self.quantile_multiplier, torch_generator(eps_seed))
        )
        gen = torch_generator(train_seed)
        missing_cells = torch.from_numpy(np.isnan(standard))
        data = torch.from_numpy(np.nan_to_num(standard, nan=0.0))
        history: list[float] = []
        if missing_cells.any():
            column_means = torch.from_numpy(np.nanmean(standard, axis=0))
            noise = self.noise * torch.randn(missing_cells.shape, generator=gen, dtype=torch.float64)
            start = (noise + column_means)[missing_cells]
            values = self._optimise(data, missing_cells, start, gen, history)
            data = data.masked_scatter(missing_cells, values)
        self.training_data_ = data.numpy()
        self.loss_history_ = history
        self.transform_seed_ = transform_seed

    def _impute_values(self, X: np.ndarray, missing: np.ndarray) -> np.ndarray:
        """Complete new rows: Algorithm 1 on the training rows (frozen) stacked with ``X``; only the gaps of ``X`` move."""
        X = np.where(missing, np.nan, X)
        standard = (X - self.mean_) / self.scale_
        gen = torch_generator(self.transform_seed_)
        n_train = self.training_data_.shape[0]
        new_missing = torch.from_numpy(np.isnan(standard))
        new_data = torch.from_numpy(np.nan_to_num(standard, nan=0.0))
        data = torch.cat([torch.from_numpy(self.training_data_), new_data])
        cells = torch.cat([torch.zeros((n_train, X.shape[1]), dtype=torch.bool), new_missing])
        # Start from the training means (0 in standardised units) plus noise, as fit does.
        start = (self.noise * torch.randn(new_missing.shape, generator=gen, dtype=torch.float64))[new_missing]
        values = self._optimise(data, cells, start, gen, history=None)
        filled = data.masked_scatter(cells, values)[n_train:].numpy()
        return filled * self.scale_ + self.mean_

    # -- estimator API ---------------------------------------------------------

    def fit_transform(self, X: object, y: object = None) -> object:
        """Complete ``X`` by batch optimal transport (the reference algorithm).

        Unlike ``fit(X).transform(X)``, which runs the algorithm again on new
        rows against the completed training rows, this returns the training
        completion itself.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data to complete, with missing cells; at least 2 rows.
        y : ignored

        Returns
        -------
        ndarray or DataFrame
            As :meth:`transform`.

        Raises
        ------
        InputDataError
            As :meth:`fit`; also fewer than 2 rows.
        """
        values, missing, info = self._fit_input(X)
        keep = ~self.empty_features_
        self._fit_values(values[:, keep], missing[:, keep])
        return self._output(X, values, missing, info, self.training_data_ * self.scale_ + self.mean_)
