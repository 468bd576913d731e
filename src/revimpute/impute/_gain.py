"""GAIN: imputation with a generative adversarial network (Yoon et al., 2018).

Our implementation following the paper and its reference code
(https://github.com/jsyoon0823/GAIN, ``gain.py`` and ``utils.py``), written in
PyTorch because the reference needs TensorFlow 1.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from torch import Tensor, nn

from revimpute.impute._base import RANDOM_STATE
from revimpute.impute._numeric import _NumericImputer
from revimpute.impute._peer_utils import draw_seeds, make_linear, torch_generator

#: Added to the column range in the min-max normalisation, as in the reference code.
_RANGE_EPS = 1e-6
#: Added inside the logarithms of the adversarial losses, as in the reference code.
_LOG_EPS = 1e-8
#: The missing cells of the generator's input are uniform noise on [0, _NOISE_HIGH].
_NOISE_HIGH = 0.01


def _gain_mlp(n_features: int, generator: torch.Generator) -> nn.Sequential:
    """The 3-layer network of both players: 2p -> p -> p -> p, ReLU, sigmoid output.

    Weights are drawn as the reference's ``xavier_init`` (normal with standard
    deviation ``1 / sqrt(fan_in / 2)``), biases start at zero.
    """
    layers = [
        make_linear(2 * n_features, n_features),
        make_linear(n_features, n_features),
        make_linear(n_features, n_features),
    ]
    with torch.no_grad():
        for layer in layers:
            layer.weight.normal_(0.0, 1.0 / np.sqrt(layer.in_features / 2.0), generator=generator)
            layer.bias.zero_()
    return nn.Sequential(layers[0], nn.ReLU(), layers[1], nn.ReLU(), layers[2], nn.Sigmoid())


class GAINImputer(_NumericImputer):
    """Generative Adversarial Imputation Nets (GAIN).

    Our implementation following the paper and the authors' reference code.
    A generator G sees a row (missing cells replaced by small uniform noise)
    and its mask, and proposes every cell; a discriminator D sees the completed
    row and a *hint* (part of the mask) and guesses which cells were observed.
    G is trained to fool D on the missing cells and to reconstruct the observed
    cells (weight ``alpha``). Data are min-max normalised to [0, 1] per column
    inside the estimator and mapped back afterwards.

    The estimator is inductive: :meth:`fit` trains the networks, :meth:`transform`
    runs the generator on any rows with the same columns (new noise for the
    missing cells), exactly as the reference code imputes once training ends.

    Parameters
    ----------
    batch_size : int, default=128
        Rows per training iteration (reference default).
    hint_rate : float, default=0.9
        Probability that a cell's mask value is revealed to the discriminator
        (reference default). As in the reference code the hint is ``M * B`` with
        ``B ~ Bernoulli(hint_rate)``.
    alpha : float, default=100
        Weight of the reconstruction loss of the observed cells in the
        generator's loss (reference default).
    n_iterations : int, default=10000
        Training iterations, one discriminator and one generator step each
        (reference default). Lower it for quick runs.
    learning_rate : float, default=1e-3
        Adam step size of both networks (TensorFlow's default, used by the
        reference code).
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator, default=None
        Source of every random draw (weights, batches, noise, hints). An int
        gives bitwise reproducible results; nothing global is seeded or drawn
        from (:func:`revimpute.impute._base.check_generator`).
    missing_values, add_indicator, keep_empty_features
        As in :class:`~revimpute.impute.SklearnImputer`.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in :meth:`fit`.
    data_min_ : ndarray of shape (n_features,)
        Observed minimum of each column (normalisation).
    data_range_ : ndarray of shape (n_features,)
        Observed ``max - min`` of each column (normalisation).
    generator_ : torch.nn.Sequential
        The trained generator network.
    discriminator_ : torch.nn.Sequential
        The trained discriminator network.
    loss_history_ : dict of str to list of float
        ``"discriminator"``, ``"generator"`` (adversarial part) and ``"mse"``
        (reconstruction part), one value per iteration.
    transform_seed_ : int
        Seed of the noise drawn by :meth:`transform`, so that a fitted
        estimator always completes the same rows the same way.

    Notes
    -----
    Differences from the reference code: PyTorch instead of TensorFlow 1
    (same architecture, initialisation, losses, Adam settings and sampling);
    the reference's final rounding of columns with fewer than 20 distinct
    values to integers is left out, as revimpute encodes categorical columns
    before imputing; ``random_state`` replaces the global numpy/TensorFlow
    seeds.

    References
    ----------
    J. Yoon, J. Jordon and M. van der Schaar, "GAIN: Missing Data Imputation
    using Generative Adversarial Nets", Proceedings of the 35th International
    Conference on Machine Learning (ICML), PMLR 80:5689-5698, 2018.
    Reference code: https://github.com/jsyoon0823/GAIN

    Examples
    --------
    >>> import numpy as np
    >>> from revimpute.impute import GAINImputer
    >>> X = np.array([[1.0, 2.0], [np.nan, 4.0], [3.0, 6.0], [4.0, np.nan]])
    >>> imputer = GAINImputer(n_iterations=50, random_state=0)
    >>> X_filled = imputer.fit_transform(X)
    >>> bool(np.isnan(X_filled).any())
    False
    """

    _parameter_constraints: dict = {
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "hint_rate": [Interval(Real, 0, 1, closed="both")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "n_iterations": [Interval(Integral, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "random_state": RANDOM_STATE,
        **_NumericImputer._parameter_constraints,
    }

    def __init__(
        self,
        batch_size: int = 128,
        hint_rate: float = 0.9,
        alpha: float = 100.0,
        n_iterations: int = 10000,
        learning_rate: float = 1e-3,
        random_state: object = None,
        *,
        missing_values: object = np.nan,
        add_indicator: bool = False,
        keep_empty_features: bool = False,
    ) -> None:
        super().__init__(
            missing_values=missing_values, add_indicator=add_indicator, keep_empty_features=keep_empty_features
        )
        self.batch_size = batch_size
        self.hint_rate = hint_rate
        self.alpha = alpha
        self.n_iterations = n_iterations
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _normalise(self, X: np.ndarray) -> np.ndarray:
        return (X - self.data_min_) / (self.data_range_ + _RANGE_EPS)

    def _fit_values(self, X: np.ndarray, missing: np.ndarray) -> None:
        """Train the generator and the discriminator on ``X`` (``missing`` marks its gaps)."""
        X = np.where(missing, np.nan, X)
        train_seed, transform_seed = draw_seeds(self.random_state, 2)
        gen = torch_generator(train_seed)
        n_rows, n_features = X.shape

        self.data_min_ = np.nanmin(X, axis=0)
        self.data_range_ = np.nanmax(X, axis=0) - self.data_min_
        observed = torch.from_numpy(~np.isnan(X)).float()
        data = torch.from_numpy(np.nan_to_num(self._normalise(X), nan=0.0)).float()

        generator_net = _gain_mlp(n_features, gen)
        discriminator_net = _gain_mlp(n_features, gen)
        opt_d = torch.optim.Adam(discriminator_net.parameters(), lr=self.learning_rate)
        opt_g = torch.optim.Adam(generator_net.parameters(), lr=self.learning_rate)
        history: dict[str, list[float]] = {"discriminator": [], "generator": [], "mse": []}
        batch = min(self.batch_size, n_rows)

        for _ in range(self.n_iterations):
            idx = torch.randperm(n_rows, generator=gen)[:batch]
            m = observed[idx]
            noise = torch.rand((batch, n_features), generator=gen) * _NOISE_HIGH
            hint = m * (torch.rand((batch, n_features), generator=gen) < self.hint_rate).float()
            x = m * data[idx] + (1 - m) * noise

            # Discriminator step (the generator is held fixed).
            with torch.no_grad():
                g_sample = generator_net(torch.cat([x, m], dim=1))
            x_hat = x * m + g_sample * (1 - m)
            d_prob = discriminator_net(torch.cat([x_hat, hint], dim=1))
            d_loss = -torch.mean(
                m * torch.log(d_prob + _LOG_EPS) + (1 - m) * torch.log(1.0 - d_prob + _LOG_EPS)
            )
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()

            # Generator step on the same batch, against the updated discriminator.
            g_sample = generator_net(torch.cat([x, m], dim=1))
            x_hat = x * m + g_sample * (1 - m)
            d_prob = discriminator_net(torch.cat([x_hat, hint], dim=1))
            g_adv = -torch.mean((1 - m) * torch.log(d_prob + _LOG_EPS))
            mse = torch.mean((m * x - m * g_sample) ** 2) / torch.mean(m)
            g_loss = g_adv + self.alpha * mse
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()

            history["discriminator"].append(d_loss.item())
            history["generator"].append(g_adv.item())
            history["mse"].append(mse.item())

        generator_net.eval()
        discriminator_net.eval()
        self.generator_ = generator_net
        self.discriminator_ = discriminator_net
        self.loss_history_ = history
        self.transform_seed_ = transform_seed

    def _impute_values(self, X: np.ndarray, missing: np.ndarray) -> np.ndarray:
        """The trained generator's completion of ``X`` (new noise in the gaps, from ``transform_seed_``)."""
        X = np.where(missing, np.nan, X)
        gen = torch_generator(self.transform_seed_)
        observed = torch.from_numpy(~np.isnan(X)).float()
        data = torch.from_numpy(np.nan_to_num(self._normalise(X), nan=0.0)).float()
        noise = torch.rand(data.shape, generator=gen) * _NOISE_HIGH
        x = observed * data + (1 - observed) * noise
        with torch.no_grad():
            g_sample: Tensor = self.generator_(torch.cat([x, observed], dim=1))
        return g_sample.double().numpy() * (self.data_range_ + _RANGE_EPS) + self.data_min_
