"""ReverseImputer: the autoencoder learns the data, then the missing cells are
optimised against the frozen network (reverse training)."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.impute import MissingIndicator
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from revimpute.encode import SCALINGS
from revimpute.encode.frames import is_frame, like_input, to_pandas
from revimpute.encode.kinds import ColumnKind
from revimpute.encode.layout import UnitLayout
from revimpute.encode.table import HANDLE_UNKNOWN, EncodedTable, TableEncoder
from revimpute.encode.checks import check_shape
from revimpute.exceptions import InputDataError, ModelFileError
from revimpute.impute._ensemble_training import merge_reports, resolve_device, search_networks, train_networks
from revimpute.impute._input import TableInfo, check_frame_names
from revimpute.impute._numeric import _NumericImputer
from revimpute.impute._output import as_requested
from revimpute.impute._progress import progress_bar
from revimpute.impute._uncertain import UncertaintyMixin
from revimpute.nn import TrainingConfig
from revimpute.nn.budget import automatic_hidden_sizes, automatic_training
from revimpute.nn.threads import choose_threads, compute_threads
from revimpute.nn.training import CORRUPTIONS
from revimpute.reverse import ReverseConfig
from revimpute.reverse.engine import ESTIMATES, LOSSES, ReverseReport
from revimpute.reverse.ensemble import Network, ensemble_mean, ensemble_pass


class ReverseImputer(UncertaintyMixin, _NumericImputer):
    """Impute missing values by reverse training an autoencoder.

    Works on numeric arrays and on pandas or polars DataFrames whose columns
    may be numeric, integer, boolean, categorical/text or datetime (see
    :class:`~revimpute.encode.table.TableEncoder`): categorical columns are
    one-hot groups with a softmax head, booleans one unit with a sigmoid head;
    a missing categorical cell is reverse-trained as free logits through a
    softmax and decoded as its most probable category
    (:meth:`impute_with_confidence` gives that probability).

    ``fit`` trains an MLP autoencoder on the data with holes (the loss counts
    observed cells only, and extra random masking teaches it to complete
    rows). ``transform`` freezes the network and makes the missing cells of
    each row the trainable parameters: starting from the network's one-pass
    fill, they are optimised with Adam so that the network reconstructs the
    completed row, with a spherical penalty on the bottleneck code and input
    dropout; a final pass through the network cleans the result. Every row is
    treated independently and deterministically: the same row gives bitwise
    the same values whatever other rows it is imputed with.

    Parameters
    ----------
    missing_values : float, int or None, default=np.nan
        Placeholder for missing cells (NaN, None and pd.NA always count).
    hidden_sizes : tuple of int or None, default=(256, 128)
        Hidden layer widths of the encoder (the decoder mirrors them). None
        picks two layers from the table's size
        (:func:`revimpute.nn.budget.automatic_hidden_sizes`): narrower
        networks on smaller tables, less work per training step.
    latent_size : int or None, default=None
        Bottleneck width; None means ``min(32, max(2, n_features))``.
    max_epochs : int, default=500
        Upper bound on training epochs. With the automatic ``batch_size``
        the epochs come from a budget of Adam steps (below) and this only caps
        them.
    batch_size : int or None, default=None
        Rows per training step. None, the automatic budget
        (:mod:`revimpute.nn.budget`): up to 12,800 rows, every network takes
        1,600 Adam steps on batches of 128 rows (all its training rows when
        fewer), at
        ``10 * learning_rate`` decayed by a cosine to 0, keeping its best
        weights on the held-out rows and stopping after a quarter of its epochs
        (at least 10) without improvement; the ensemble trains as one stacked
        model (one batched product per layer for all networks). Larger tables
        train on batches of ``n_samples // 100`` rows (at most 1,024) for about
        3 million row passes, the step size scaled by ``batch_size / 128``,
        also with a cosine decay; early stopping there counts only relative
        gains of 0.1%. An explicit value trains each network on its own with
        that batch at ``learning_rate``, constant, until ``patience``.
    learning_rate : float, default=1e-3
        Adam step size for training the network (scaled by the automatic
        budget, see ``batch_size``).
    corruption_rate : float, default=0.2
        Share of observed cells hidden from the network in each training batch.
    corruption : {"cells", "runs", "mixed", "none"}, default="cells"
        How training hides cells: independently (``"cells"``), as one
        contiguous run of columns per row (``"runs"``: bands on images stored
        row by row), either per row (``"mixed"``), or not at all (``"none"``:
        a plain autoencoder).
    validation_fraction : float, default=0.1
        Share of rows held out for early stopping.
    patience : int or None, default=None
        Epochs without validation improvement before a network stops; None
        means the automatic budget's rule with the automatic batch size (see
        ``batch_size``), and ``250_000 / n_samples`` clipped to [5, 200] with
        an explicit one.
    reverse_steps : int, default=200
        Upper bound on optimisation steps per row; 0 gives the plain
        autoencoder pass.
    reverse_learning_rate : float, default=0.05
        Adam step size on the missing cells (in standardised units).
    reverse_loss : {"all", "observed"}, default="observed"
        Reconstruction error over all cells (observed + current guesses) or
        over the observed cells only.
    sphere_weight : float, default=0.001
        Weight of the penalty ``(||z|| - radius_)**2`` on the code.
    input_dropout : float, default=0.1
        Share of input cells hidden at each reverse step (row-keyed masks).
    reverse_tol : float, default=1e-4
        Relative improvement of a row's smoothed loss that counts as progress.
    reverse_patience : int, default=5
        Steps without progress after which a row is frozen.
    cleanup : bool, default=True
        Pass the reverse-trained rows once more through the network and fill
        the missing cells from its output.
    clip : bool, default=True
        Keep imputed values inside each column's observed range at fit: the
        search projects onto it after every step, and results are clipped.
    n_models : int or "auto", default="auto"
        Networks trained (each from its own seed) and reverse-trained
        against; their imputations are averaged (probabilities for categorical
        and boolean cells) — a deep ensemble, which lowers the variance of a
        network fitted on a small table. ``"auto"``: 5 for tables of up to
        20,000 rows and 1,000,000 cells, else 1. Fit and transform time grow
        with it.
    n_restarts : int, default=1
        Deterministic restarts per row (perturbed start, own dropout stream);
        their results are averaged.
    estimate : {"mean", "mode", "pass"}, default="mean"
        ``"mode"``: the reverse-trained, cleaned row — a sharp, likely
        completion (best where rounded values count, and on missingness
        patterns the network never saw in training). ``"mean"``: the average
        of that and the network's one-pass fill — the lower squared error in
        every measurement so far (docs/method.md). ``"pass"``: the one-pass
        fill alone, no search (the plain autoencoder pass).
    scaling : {"standard", "robust", "minmax", "none"}, default="standard"
        How numeric columns are scaled for the network.
    max_categories : int, default=200
        DataFrames: a text/categorical column with more distinct values is an
        identifier (names, keys) and is left alone, with a warning.
    handle_unknown : {"missing", "error"}, default="missing"
        DataFrames: a category not seen at fit is treated as missing, imputed
        and reported with a warning (``"missing"``), or rejected with an error
        naming the column and value (``"error"``).
    chunk_size : int, default=4096
        Rows optimised together; bounds memory, never changes results.
    n_jobs : int or None, default=None
        With an explicit ``batch_size``: networks of the ensemble trained at
        the same time on the CPU, each on its share of PyTorch's threads
        (``None``: one at a time; -1: as many as there are threads). Each
        network then trains on fewer threads, which for some layer shapes
        changes the last bits of its weights, as a machine with fewer cores
        would. The automatic budget trains the ensemble as one stacked model
        and the search always runs all networks in one computation, so there
        it changes nothing. Ignored on CUDA.
    device : {"auto", "cpu", "cuda"}, default="cpu"
        Fit and transform on the CPU use as many threads as the process has
        cores free to it (CPU affinity, cgroup quota, minus the cores other
        processes are running on at the start; at most PyTorch's own thread
        count), restoring PyTorch's setting afterwards
        (:mod:`revimpute.nn.threads`); networks trained side by side
        (explicit ``batch_size`` and ``n_jobs``) share PyTorch's threads as set.
    calibration : float or None, default=None
        Share of the rows held out from every network's training to calibrate
        the uncertainty (drawn from ``random_state``): their observed cells are
        hidden one at a time, imputed, and the errors kept as conformity scores
        for :meth:`impute_with_uncertainty` and :meth:`sample`
        (docs/uncertainty.md). None: no calibration (the networks train on
        every row).
    random_state : int, RandomState or None, default=0
        Seeds training and the row-keyed dropout streams. The default 0 makes
        ``fit`` reproducible; ``transform`` is deterministic for a fitted model.
    verbose : bool, default=False
        Show progress bars.
    add_indicator : bool, default=False
    keep_empty_features : bool, default=False

    Attributes
    ----------
    models_ : list of MLPAutoencoder
        The trained networks (frozen), ``n_models`` of them.
    model_ : MLPAutoencoder
        The first of ``models_``.
    encoder_ : TableEncoder
        How the table's columns map to the network's units: each column's kind
        inferred from a DataFrame; every column numeric for an array.
    fitted_on_array_ : bool
        True when ``fit`` was given an array (anything but a pandas or polars
        DataFrame): ``transform`` then reads its input as the numeric imputers
        do (text refused) and gives an array back with the input's dtype.
    scaler_ : NumericScaler
        Scaling of the numeric units (``encoder_.scaler_``).
    data_min_, data_max_ : ndarray of shape (n_features,)
        Observed range of each column at fit (table units).
    radii_ : list of float
        For each network, the mean norm of the training rows' codes.
    radius_ : float
        Mean norm of the training rows' codes, the sphere's radius.
    seed_ : int
        Seed of the row-keyed randomness used by ``transform``.
    history_ : TrainingHistory
    calibration_ : Calibration or None
        The held-out conformity scores (None without ``calibration``).
    reverse_report_ : ReverseReport
        What the last ``transform`` did (rows, steps per row, converged rows).
    unknown_categories_ : dict
        Column -> categories met in the last ``transform`` that were not seen
        at fit (treated as missing); not set for a model fitted on an array.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when ``X`` has string column names.

    See Also
    --------
    revimpute.impute.get_imputer : the baseline imputers by name.

    Examples
    --------
    >>> import numpy as np
    >>> from revimpute import ReverseImputer
    >>> X = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 6.0], [4.0, 8.0]] * 10)
    >>> imp = ReverseImputer(max_epochs=5, reverse_steps=5).fit(X)
    >>> np.isnan(imp.transform(X)).any()
    np.False_
    """

    _parameter_constraints: dict = {
        **_NumericImputer._parameter_constraints,
        "hidden_sizes": [tuple, list, None],
        "latent_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "corruption_rate": [Interval(numbers.Real, 0, 1, closed="left")],
        "corruption": [StrOptions(set(CORRUPTIONS))],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "patience": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "reverse_steps": [Interval(numbers.Integral, 0, None, closed="left")],
        "reverse_learning_rate": [Interval(numbers.Real, 0, None, closed="neither")],
        "reverse_loss": [StrOptions(set(LOSSES))],
        "sphere_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "input_dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "reverse_tol": [Interval(numbers.Real, 0, None, closed="left")],
        "reverse_patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "cleanup": ["boolean"],
        "clip": ["boolean"],
        "n_models": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_restarts": [Interval(numbers.Integral, 1, None, closed="left")],
        "estimate": [StrOptions(set(ESTIMATES))],
        "scaling": [StrOptions(set(SCALINGS))],
        "max_categories": [Interval(numbers.Integral, 1, None, closed="left")],
        "handle_unknown": [StrOptions(set(HANDLE_UNKNOWN))],
        "chunk_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_jobs": [
            Interval(numbers.Integral, None, -1, closed="right"),
            Interval(numbers.Integral, 1, None, closed="left"),
            None,
        ],
        "device": [StrOptions({"auto", "cpu", "cuda"})],
        "calibration": [Interval(numbers.Real, 0, 0.5, closed="neither"), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        missing_values: Any = np.nan,
        hidden_sizes: tuple[int, ...] | None = (256, 128),
        latent_size: int | None = None,
        max_epochs: int = 500,
        batch_size: int | None = None,
        learning_rate: float = 1e-3,
        corruption_rate: float = 0.2,
        corruption: str = "cells",
        validation_fraction: float = 0.1,
        patience: int | None = None,
        reverse_steps: int = 200,
        reverse_learning_rate: float = 0.05,
        reverse_loss: str = "observed",
        sphere_weight: float = 0.001,
        input_dropout: float = 0.1,
        reverse_tol: float = 1e-4,
        reverse_patience: int = 5,
        cleanup: bool = True,
        clip: bool = True,
        n_models: int | str = "auto",
        n_restarts: int = 1,
        estimate: str = "mean",
        scaling: str = "standard",
        max_categories: int = 200,
        handle_unknown: str = "missing",
        chunk_size: int = 4096,
        n_jobs: int | None = None,
        device: str = "cpu",
        calibration: float | None = None,
        random_state: Any = 0,
        verbose: bool = False,
        add_indicator: bool = False,
        keep_empty_features: bool = False,
    ) -> None:
        self.missing_values = missing_values
        self.hidden_sizes = hidden_sizes
        self.latent_size = latent_size
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.corruption_rate = corruption_rate
        self.corruption = corruption
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.reverse_steps = reverse_steps
        self.reverse_learning_rate = reverse_learning_rate
        self.reverse_loss = reverse_loss
        self.sphere_weight = sphere_weight
        self.input_dropout = input_dropout
        self.reverse_tol = reverse_tol
        self.reverse_patience = reverse_patience
        self.cleanup = cleanup
        self.clip = clip
        self.n_models = n_models
        self.n_restarts = n_restarts
        self.estimate = estimate
        self.scaling = scaling
        self.max_categories = max_categories
        self.handle_unknown = handle_unknown
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs
        self.device = device
        self.calibration = calibration
        self.random_state = random_state
        self.verbose = verbose
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features

    def _validate_params(self) -> None:
        """scikit-learn's parameter checks, plus the values inside ``hidden_sizes``."""
        super()._validate_params()
        sizes = () if self.hidden_sizes is None else self.hidden_sizes
        if not all(isinstance(h, numbers.Integral) and not isinstance(h, bool) and h >= 1 for h in sizes):
            raise InvalidParameterError(
                f"The 'hidden_sizes' parameter of ReverseImputer must list whole numbers >= 1 (layer "
                f"widths). Got {tuple(sizes)!r} instead."
            )

    # --- configuration --------------------------------------------------------
    def training_config(self, n_features: int, n_samples: int, n_units: int | None = None) -> TrainingConfig:
        """The :class:`TrainingConfig` these parameters give for a table of this size.

        ``n_features`` counts the table's columns, ``n_units`` the network's
        units (more than the columns when categories are one-hot; default:
        ``n_features``).
        """
        latent = self.latent_size or min(32, max(2, n_features))
        hidden = self.hidden_sizes
        if hidden is None:
            hidden = automatic_hidden_sizes(n_samples, n_features if n_units is None else n_units)
        if self.batch_size is None:  # the automatic budget (revimpute.nn.budget)
            budget = automatic_training(
                n_samples, self.validation_fraction, self.learning_rate, self.max_epochs, self.patience
            )
        else:
            budget = {
                "batch_size": self.batch_size, "learning_rate": self.learning_rate, "max_epochs": self.max_epochs,
                "patience": self.patience or int(np.clip(round(250_000 / max(n_samples, 1)), 5, 200)),
                "lr_schedule": "constant", "min_relative_improvement": 0.0,
            }
        return TrainingConfig(
            hidden_sizes=tuple(int(h) for h in hidden),
            latent_size=int(latent),
            corruption_rate=self.corruption_rate,
            corruption=self.corruption,
            validation_fraction=self.validation_fraction,
            **budget,
        )

    def reverse_config(self) -> ReverseConfig:
        """The :class:`ReverseConfig` these parameters give."""
        return ReverseConfig(
            max_steps=self.reverse_steps,
            estimate=self.estimate,
            learning_rate=self.reverse_learning_rate,
            loss=self.reverse_loss,
            sphere_weight=self.sphere_weight,
            input_dropout=self.input_dropout,
            tol=self.reverse_tol,
            patience=self.reverse_patience,
            cleanup=self.cleanup,
            n_restarts=self.n_restarts,
            chunk_size=self.chunk_size,
        )

    # --- training and reverse search on network units ------------------------------
    def model_count(self, n_samples: int, n_columns: int) -> int:
        """How many networks ``n_models`` gives for a table of this size."""
        if self.n_models != "auto":
            return int(self.n_models)
        return 5 if n_samples <= 20_000 and n_samples * n_columns <= 1_000_000 else 1

    def _train(self, units: np.ndarray, observed: np.ndarray, layout: UnitLayout) -> None:
        rng = check_random_state(self.random_state)
        train_seeds = [int(rng.randint(0, 2**31 - 1))]
        self.seed_ = int(rng.randint(0, 2**31 - 1))
        n_columns = layout.n_columns
        n_models = self.model_count(units.shape[0], n_columns)
        train_seeds += [int(rng.randint(0, 2**31 - 1)) for _ in range(n_models - 1)]
        config = self.training_config(n_columns, units.shape[0], n_units=units.shape[1])
        trained = train_networks(
            units, observed, layout, config, train_seeds, device=resolve_device(self.device),
            stacked=self.batch_size is None, n_jobs=self.n_jobs, verbose=self.verbose,
        )
        self.models_ = [model for model, _, _ in trained]
        self.radii_ = [radius for _, radius, _ in trained]
        self.histories_ = [history for _, _, history in trained]
        self.model_, self.radius_, self.history_ = self.models_[0], self.radii_[0], self.histories_[0]

    def _model_seeds(self) -> list[int]:
        """Seed of the row-keyed dropout streams of each network (the first: ``seed_``)."""
        return [(self.seed_ + k) % (2**31 - 1) for k in range(len(self.models_))]

    def networks(self) -> list[Network]:
        """The fitted networks, each with its code radius and dropout seed, as they are searched.

        Returns
        -------
        list of Network
            ``(model, radius, seed)`` per network, in the order of ``models_``.
        """
        check_is_fitted(self, "models_")
        return [Network(m, r, s) for m, r, s in zip(self.models_, self.radii_, self._model_seeds())]

    def _reverse(
        self, units: np.ndarray, missing: np.ndarray, layout: UnitLayout,
        bounds: tuple[np.ndarray, np.ndarray] | None,
    ) -> np.ndarray:
        return self._member_imputations(units, missing, layout, bounds)[0]

    def _member_imputations(
        self, units: np.ndarray, missing: np.ndarray, layout: UnitLayout,
        bounds: tuple[np.ndarray, np.ndarray] | None, seeds: list[int] | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The ensemble's imputation in network units (what ``transform`` decodes) and each network's.

        ``seeds`` replaces the networks' dropout seeds (:meth:`_model_seeds`) in the search.
        """
        device = resolve_device(self.device)
        n_rows = int(missing.any(axis=1).sum())
        if self.reverse_steps == 0 or self.estimate == "pass":  # no search: impute_pass's average, then clip
            self.reverse_report_ = ReverseReport(rows=n_rows, cells=int(missing.sum()))
            return ensemble_pass(self.models_, units, missing, bounds, layout)
        threads = choose_threads() if device.type == "cpu" else torch.get_num_threads()
        bar = progress_bar(self.verbose, "reverse training", total=n_rows, unit="rows")
        with compute_threads(threads), bar as tick:
            filled, reports = search_networks(
                self.models_, units, missing, self.reverse_config(), self.radii_,
                self._model_seeds() if seeds is None else seeds,
                device=device, threads=threads, tick=tick, bounds=bounds, layout=layout,
            )
        self.reverse_report_ = merge_reports(reports)
        return ensemble_mean(filled), filled

    def _one_pass(self, units: np.ndarray, missing: np.ndarray, layout: UnitLayout | None) -> np.ndarray:
        """The networks' one-pass fill, averaged over the ensemble."""
        return ensemble_pass(self.models_, units, missing, layout=layout)[0]

    # --- arrays: read by the numeric family, encoded by the TableEncoder ------------
    @staticmethod
    def _array_frame(values: np.ndarray, missing: np.ndarray) -> pd.DataFrame:
        """A numeric array's float64 values as the frame the encoder reads (NaN where missing; columns 0, 1, ...)."""
        return pd.DataFrame(np.where(missing, np.nan, values))

    def _impute_array(self, X: Any, search: bool) -> Any:
        """An array-fitted model's imputation of ``X``, given back as ``X`` came (without ``set_output``).

        ``X`` is read as the numeric imputers read a table (text refused,
        placeholders, the columns checked), encoded and imputed as a DataFrame
        is, decoded to numbers (:meth:`TableEncoder.numbers`, what
        :meth:`TableEncoder.decode` writes) and written back into ``X``'s own
        representation.
        """
        values, missing, info = self._check_input(X, reset=False)
        encoded = self._encode_frame(self._array_frame(values, missing))
        return self._array_back(X, values, missing, info, encoded, self._imputed_units(encoded, search))

    def _array_back(self, X: Any, values: np.ndarray, missing: np.ndarray, info: TableInfo,
                    encoded: EncodedTable, filled: np.ndarray) -> Any:
        """Network units of an array-fitted model -> ``X``'s representation (without ``set_output``)."""
        self._check_finite(filled, encoded.missing)
        return self._filled(X, values, missing, info, self.encoder_.numbers(filled, self.clip))

    def _check_finite(self, filled: np.ndarray, missing: np.ndarray) -> None:
        """Refuse a network output that is not a number where a cell is imputed."""
        bad = missing & ~np.isfinite(filled)
        if bad.any():
            unit = int(np.flatnonzero(bad.any(axis=0))[0])
            raise ModelFileError(
                f"the model's networks gave a non-finite value for {int(bad.sum())} imputed cells "
                f"(first in network unit {unit}); the model is unusable: refit it"
            )

    def scaled_bounds(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Observed range of every network unit, or None when ``clip`` is off.

        Boolean and categorical units (free logits) have infinite limits.
        """
        return self.encoder_.unit_bounds() if self.clip else None

    # --- fit and transform (arrays, pandas or polars DataFrames) -----------------
    def fit(self, X: Any, y: Any = None) -> ReverseImputer:
        """Train the autoencoder on ``X`` (cells with gaps are fine).

        Parameters
        ----------
        X : array-like, pandas or polars DataFrame of shape (n_samples, n_features)
            Numeric arrays, or DataFrames with numeric, integer, boolean,
            categorical/text and datetime columns.
        y : ignored

        Returns
        -------
        self
        """
        if is_frame(X):
            self._validate_params()
            frame, _ = to_pandas(X)
            check_shape(frame.shape)
            check_frame_names(self, frame, reset=True)
            kinds = None
        else:  # read as the numeric imputers read a table; every column a number
            values, missing, _ = self._fit_input(X)
            frame = self._array_frame(values, missing)
            kinds = [ColumnKind.NUMERIC] * frame.shape[1]
        self.fitted_on_array_ = kinds is not None
        encoder = TableEncoder(
            self.scaling, self.max_categories, self.handle_unknown, self.missing_values,
            self.keep_empty_features,
        ).fit(frame, kinds)
        encoded = encoder.encode(frame)
        self.encoder_ = encoder
        self.scaler_ = encoder.scaler_
        numbers = [c for c in encoder.codes_ if c.encoded and c.kind.value in ("numeric", "integer", "datetime")]
        self.data_min_ = np.array([c.low for c in numbers], dtype=np.float64)
        self.data_max_ = np.array([c.high for c in numbers], dtype=np.float64)
        self.empty_features_ = np.array([c.empty for c in encoder.codes_], dtype=bool)
        self._fit_networks(encoded.values, ~encoded.missing, encoder.layout_)
        if self.add_indicator:
            self.indicator_ = MissingIndicator(error_on_new=False).fit(
                np.where(encoded.cell_missing, np.nan, 0.0)
            )
        return self

    def transform(self, X: Any) -> Any:
        """Impute all missing cells of ``X``.

        Parameters
        ----------
        X : array-like, pandas or polars DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray or DataFrame
            The same kind as ``X``, with every observed cell unchanged and no
            missing cell left (identifier columns of a DataFrame stay as given).
        """
        check_is_fitted(self)
        if self.fitted_on_array_:
            return as_requested(self, self._impute_array(X, search=True))
        return as_requested(self, self.impute_with_confidence(X)[0])

    def impute_with_confidence(self, X: Any) -> tuple[Any, pd.DataFrame]:
        """Impute ``X`` (fitted on a DataFrame) and say how sure each categorical choice is.

        Returns
        -------
        imputed : DataFrame (pandas or polars, as given)
            As :meth:`transform`.
        confidence : pandas DataFrame of float, same shape and labels
            For each imputed categorical or boolean cell, the probability of
            the chosen value; NaN for observed and numeric cells.
        """
        check_is_fitted(self, "encoder_")
        if self.fitted_on_array_:
            raise InputDataError("impute_with_confidence needs an imputer fitted on a DataFrame")
        frame, schema = self._as_frame(X)
        out, confidence = self._impute_frame(frame, search=True)
        return like_input(out, schema), confidence

    def _as_frame(self, X: Any) -> tuple[pd.DataFrame, Any]:
        if is_frame(X):
            frame, schema = to_pandas(X)
            check_frame_names(self, frame, reset=False)
        else:
            validate_data(self, X, reset=False, skip_check_array=True)
            values = np.asarray(X, dtype=object) if not hasattr(X, "shape") else np.asarray(X)
            if values.ndim != 2:
                raise InputDataError(f"expected a 2-D table, got an array with {values.ndim} dimension(s)")
            names = getattr(self, "feature_names_in_", None)
            frame, schema = pd.DataFrame(values, columns=names), None
        check_shape(frame.shape)
        return frame, schema

    def _impute_frame(self, frame: pd.DataFrame, search: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
        encoded = self._encode_frame(frame)
        return self._decode_frame(frame, encoded, self._imputed_units(encoded, search))

    def _imputed_units(self, encoded: EncodedTable, search: bool) -> np.ndarray:
        """The encoded table's units with the missing ones imputed: by the search, or by one pass, clipped."""
        layout = self.encoder_.layout_
        if not encoded.missing.any():
            return encoded.values
        if search:
            return self._reverse(encoded.values, encoded.missing, layout, self.scaled_bounds())
        filled = self._one_pass(encoded.values, encoded.missing, layout)
        bounds = self.scaled_bounds()
        return filled if bounds is None else np.clip(filled, bounds[0], bounds[1])

    def _encode_frame(self, frame: pd.DataFrame) -> Any:
        """``frame`` as network units; categories not seen at fit are reported and treated as missing."""
        encoded = self.encoder_.encode(frame)
        if not self.fitted_on_array_:  # an array's numbers have no categories
            self.unknown_categories_ = encoded.unknown
        for label, values in encoded.unknown.items():
            shown = ", ".join(repr(v) for v in values[:5]) + (" ..." if len(values) > 5 else "")
            warnings.warn(
                f"column {label!r} holds categories not seen at fit ({shown}); those cells are "
                "treated as missing and imputed", UserWarning, stacklevel=4,
            )
        return encoded

    def _decode_frame(self, frame: pd.DataFrame, encoded: Any, filled: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The imputed table (with any indicator columns) and the categorical confidence."""
        self._check_finite(filled, encoded.missing)
        out, confidence = self.encoder_.decode(frame, filled, encoded.cell_missing, clip=self.clip)
        if self.add_indicator:
            flags = self.indicator_.transform(np.where(encoded.cell_missing, np.nan, 0.0))
            names = self.get_feature_names_out()[frame.shape[1]:]
            for k, name in enumerate(names):
                out[name] = flags[:, k].astype(bool)
        return out, confidence

    def impute_pass(self, X: Any) -> Any:
        """Impute with the networks' one forward pass, averaged (the plain autoencoder pass, no search)."""
        check_is_fitted(self)
        if self.fitted_on_array_:
            return self._impute_array(X, search=False)
        frame, schema = self._as_frame(X)
        return like_input(self._impute_frame(frame, search=False)[0], schema)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags

    # --- persistence ----------------------------------------------------------
    def save(self, path: Any) -> Any:
        """Save the fitted imputer to the folder ``path`` (safetensors + JSON, no pickle).

        Returns the folder's path.
        """
        from sklearn.utils.validation import check_is_fitted

        from revimpute.impute._persistence import save_reverse_imputer

        check_is_fitted(self)
        return save_reverse_imputer(self, path)

    @classmethod
    def load(cls, path: Any) -> ReverseImputer:
        """Load an imputer saved by :meth:`save`.

        Raises
        ------
        ModelFileError
            If the folder is missing, corrupt, tampered with or does not match.
        """
        from revimpute.impute._persistence import load_reverse_imputer

        return load_reverse_imputer(cls, path)
