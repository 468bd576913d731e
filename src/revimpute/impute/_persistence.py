"""Saving and loading a fitted ReverseImputer without pickle.

A model is a folder with two files:

* ``weights.safetensors``: the network's tensors and the learned arrays
  (scaler, empty-feature flags, indicator features) — safetensors holds plain
  tensors only, so loading it cannot run code;
* ``model.json``: the parameters, the architecture, the column schema, the
  library version and the SHA-256 of the weights file.

The column schema is the :class:`~revimpute.encode.table.TableEncoder`'s
description (``"encoder"``) for a model fitted on a DataFrame, and null for one
fitted on an array: that encoder has every column numeric, so the scaler, the
observed ranges and the empty-feature flags (in the weights file) describe it
whole, and loading rebuilds it from them (:func:`_array_encoder`). Array models
are thus written as before the array path moved onto the TableEncoder, and
files of either kind read the same in older and newer versions.

Loading checks everything (format, checksum, tensor names and shapes) and
raises :class:`~revimpute.exceptions.ModelFileError` with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from revimpute.encode import SCALINGS
from revimpute.encode.kinds import ColumnKind
from revimpute.encode.layout import UnitLayout
from revimpute.encode.table import TableEncoder
from revimpute.exceptions import InputDataError, ModelFileError
from revimpute.nn import MLPAutoencoder, TrainingHistory
from revimpute.version import __version__

FORMAT = "revimpute-model"
#: Version 1 still: arrays moving onto the TableEncoder changed nothing a file holds (an array
#: model is written as before, ``"encoder": null``, its encoder rebuilt on loading).
FORMAT_VERSION = 1
WEIGHTS = "weights.safetensors"
META = "model.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _json_params(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in params.items():
        if isinstance(value, float) and np.isnan(value):
            value = "NaN"
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, (np.integer, np.floating)):
            value = value.item()
        elif not (value is None or isinstance(value, (bool, int, float, str, list))):
            value = None  # e.g. a RandomState instance: not needed to impute
        out[key] = value
    return out


def check_save_target(target: str | os.PathLike) -> None:
    """Refuse to replace anything but a revimpute model folder (a file, a folder of other things).

    Raises
    ------
    ModelFileError
        If ``target`` exists and is not an empty folder or a revimpute model folder.
    """
    target = Path(target)
    if not target.exists() and not target.is_symlink():
        return
    if target.is_symlink() or not target.is_dir():
        raise ModelFileError(f"{target}: exists and is not a model folder; choose another name or remove it")
    names = {entry.name for entry in target.iterdir()}
    if names and (not names <= {META, WEIGHTS} or META not in names):
        raise ModelFileError(
            f"{target}: the folder holds other files than a revimpute model; choose another name or empty it"
        )
    if names:
        try:
            meta = json.loads((target / META).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            meta = None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ModelFileError(
                f"{target}: {META} there is not a revimpute model description; choose another name or remove it"
            )


def save_reverse_imputer(imputer: Any, path: str | os.PathLike) -> Path:
    """Write a fitted ReverseImputer to the folder ``path`` (replaced atomically)."""
    target = Path(path)
    check_save_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    tmp.chmod(0o755)
    try:
        tensors = {}
        for index, network in enumerate(imputer.models_):
            prefix = "model." if index == 0 else f"models.{index}."
            tensors.update(
                {f"{prefix}{k}": v.detach().cpu().contiguous() for k, v in network.state_dict().items()}
            )
        tensors["scaler.center"] = torch.from_numpy(imputer.scaler_.center_.copy())
        tensors["scaler.scale"] = torch.from_numpy(imputer.scaler_.scale_.copy())
        tensors["empty_features"] = torch.from_numpy(imputer.empty_features_.astype(np.uint8))
        tensors["data.min"] = torch.from_numpy(np.asarray(imputer.data_min_, dtype=np.float64))
        tensors["data.max"] = torch.from_numpy(np.asarray(imputer.data_max_, dtype=np.float64))
        calibration = getattr(imputer, "calibration_", None)
        if calibration is not None:
            tensors.update({f"calibration.{k}": torch.from_numpy(v) for k, v in calibration.to_arrays().items()})
        if imputer.add_indicator:
            tensors["indicator_features"] = torch.from_numpy(
                np.asarray(imputer.indicator_.features_, dtype=np.int64)
            )
        save_file(tensors, str(tmp / WEIGHTS))
        (tmp / WEIGHTS).chmod(0o644)
        names = getattr(imputer, "feature_names_in_", None)
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "library_version": __version__,
            "class": type(imputer).__name__,
            "params": _json_params(imputer.get_params()),
            "architecture": imputer.models_[0].config(),
            "scaling": imputer.scaler_.method,
            "radii": [float(r) for r in imputer.radii_],
            "seed": imputer.seed_,
            "n_features_in": int(imputer.n_features_in_),
            "feature_names_in": None if names is None else [str(n) for n in names],
            "encoder": None if imputer.fitted_on_array_ else imputer.encoder_.to_json(),
            "calibration": None if calibration is None else {
                "n_columns": calibration.n_columns, "n_rows": calibration.n_rows,
            },
            "histories": [
                {"train_loss": h.train_loss, "validation_loss": h.validation_loss,
                 "best_epoch": h.best_epoch, "stopped_early": h.stopped_early}
                for h in imputer.histories_
            ],
            "weights_sha256": _sha256(tmp / WEIGHTS),
        }
        try:
            text = json.dumps(meta, indent=2)
        except TypeError as exc:
            raise InputDataError(
                f"the model cannot be saved: a category value is not plain text or a number ({exc})"
            ) from None
        (tmp / META).write_text(text)
        if target.exists():
            backup = target.with_name(f".{target.name}.old")
            if backup.exists():
                shutil.rmtree(backup)
            os.replace(target, backup)
            os.replace(tmp, target)
            shutil.rmtree(backup)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _read_meta(folder: Path) -> dict[str, Any]:
    if not folder.exists():
        raise ModelFileError(f"{folder}: no such model folder")
    if not folder.is_dir():
        raise ModelFileError(f"{folder}: a model is a folder holding {META} and {WEIGHTS}")
    for name in (META, WEIGHTS):
        if not (folder / name).is_file():
            raise ModelFileError(f"{folder}: {name} is missing; not a revimpute model folder")
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{folder / META}: corrupt model description ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{folder / META}: not a revimpute model description")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{folder}: model format version {meta.get('format_version')!r}, this revimpute "
            f"reads version {FORMAT_VERSION}; refit the model"
        )
    if meta.get("class") != "ReverseImputer":
        raise ModelFileError(f"{folder}: holds a {meta.get('class')!r}, not a ReverseImputer")
    return meta


#: Upper bounds on what a model description may ask for, so that a crafted
#: file cannot make loading or imputing exhaust memory or time.
LIMITS = {
    "n_features": 1_000_000,
    "layer_width": 65_536,
    "n_layers": 32,
    "n_networks": 64,
    "reverse_steps": 100_000,
    "n_restarts": 100,
    "chunk_size": 1_000_000,
    "n_features_in": 10_000_000,
    "calibration_scores": 1_000_000,
}


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and bool(np.isfinite(value))


def _check_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Check every field of the model description that loading uses (types and bounds).

    Raises
    ------
    ModelFileError
        Naming the first field that is missing, of the wrong type or out of bounds.
    """

    def bad(field: str, why: str) -> ModelFileError:
        return ModelFileError(f"{folder / META}: field {field!r} {why}; the model file is corrupt or was modified")

    for field, kind in (("params", dict), ("architecture", dict), ("radii", list), ("histories", list)):
        if not isinstance(meta.get(field), kind):
            raise bad(field, f"is missing or not a {'JSON object' if kind is dict else 'list'}")
    arch = meta["architecture"]
    if not _whole(arch.get("n_features"), 1, LIMITS["n_features"]):
        raise bad("architecture.n_features", f"must be a whole number from 1 to {LIMITS['n_features']:,}")
    hidden = arch.get("hidden_sizes")
    if not (isinstance(hidden, list) and len(hidden) <= LIMITS["n_layers"]
            and all(_whole(h, 1, LIMITS["layer_width"]) for h in hidden)):
        raise bad("architecture.hidden_sizes", f"must list at most {LIMITS['n_layers']} widths from 1 to "
                  f"{LIMITS['layer_width']:,}")
    if not _whole(arch.get("latent_size"), 1, LIMITS["layer_width"]):
        raise bad("architecture.latent_size", f"must be a whole number from 1 to {LIMITS['layer_width']:,}")
    if not isinstance(arch.get("mask_channel"), bool):
        raise bad("architecture.mask_channel", "must be true or false")
    radii = meta["radii"]
    if not 1 <= len(radii) <= LIMITS["n_networks"] or not all(_finite_number(r) for r in radii):
        raise bad("radii", f"must list 1 to {LIMITS['n_networks']} finite numbers")
    if len(meta["histories"]) != len(radii):
        raise bad("histories", "must hold one training history per network")
    if not _whole(meta.get("seed"), 0, 2**31 - 1):
        raise bad("seed", "must be a whole number from 0 to 2**31 - 1")
    if not _whole(meta.get("n_features_in"), 1, LIMITS["n_features_in"]):
        raise bad("n_features_in", f"must be a whole number from 1 to {LIMITS['n_features_in']:,}")
    names = meta.get("feature_names_in")
    if names is not None and not (
        isinstance(names, list) and len(names) == meta["n_features_in"] and all(isinstance(n, str) for n in names)
    ):
        raise bad("feature_names_in", "must be null or list one text name per input column")
    if meta.get("scaling") not in SCALINGS:
        raise bad("scaling", f"must be one of {', '.join(SCALINGS)}")
    if meta.get("encoder") is not None and not isinstance(meta["encoder"], dict):
        raise bad("encoder", "must be null or a JSON object")
    params = meta["params"]
    for field, high in (("reverse_steps", LIMITS["reverse_steps"]), ("n_restarts", LIMITS["n_restarts"]),
                        ("chunk_size", LIMITS["chunk_size"])):
        if field in params and not _whole(params[field], 0, high):
            raise bad(f"params.{field}", f"must be a whole number up to {high:,}")


def _expected_shapes(arch: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    """Tensor names and shapes of one network with this architecture (nothing allocated)."""
    with torch.device("meta"):
        network = MLPAutoencoder(arch["n_features"], arch["hidden_sizes"], arch["latent_size"], arch["mask_channel"])
    return {name: tuple(tensor.shape) for name, tensor in network.state_dict().items()}


def _check_tensors(folder: Path, tensors: dict[str, torch.Tensor], arch: dict[str, Any], n_networks: int) -> None:
    """Every network's tensors present with the architecture's shapes, and every weight finite."""
    shapes = _expected_shapes(arch)
    for index in range(n_networks):
        prefix = "model." if index == 0 else f"models.{index}."
        for name, shape in shapes.items():
            tensor = tensors.get(prefix + name)
            if tensor is None or tuple(tensor.shape) != shape:
                found = "missing" if tensor is None else f"of shape {tuple(tensor.shape)}"
                raise ModelFileError(
                    f"{folder}: model does not match its description (tensor {prefix + name} is {found}, "
                    f"the architecture needs {shape})"
                )
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ModelFileError(
                f"{folder / WEIGHTS}: tensor {name} holds values that are not finite numbers (NaN or inf); "
                "the model is unusable: refit it"
            )


def _build_network(arch: dict[str, Any], state: dict[str, torch.Tensor]) -> MLPAutoencoder:
    """A frozen network holding ``state`` (built without drawing from the global random generator)."""
    with torch.device("meta"):
        network = MLPAutoencoder(arch["n_features"], arch["hidden_sizes"], arch["latent_size"], arch["mask_channel"])
    network.load_state_dict(state, strict=True, assign=True)
    network.eval()
    for parameter in network.parameters():
        parameter.requires_grad_(False)
    return network


def load_reverse_imputer(cls: type, path: str | os.PathLike) -> Any:
    """Rebuild a fitted ReverseImputer saved by :func:`save_reverse_imputer`.

    Raises
    ------
    ModelFileError
        If the folder is missing, corrupt, tampered with, asks for more than
        :data:`LIMITS` allows, or holds weights that are not finite.
    """
    folder = Path(path)
    meta = _read_meta(folder)
    _check_meta(folder, meta)
    if _sha256(folder / WEIGHTS) != meta.get("weights_sha256"):
        raise ModelFileError(
            f"{folder / WEIGHTS}: checksum mismatch — the weights file is corrupt or was modified"
        )
    try:
        tensors = load_file(str(folder / WEIGHTS))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{folder / WEIGHTS}: not a readable weights file ({exc})") from None
    arch, radii = meta["architecture"], [float(r) for r in meta["radii"]]
    _check_tensors(folder, tensors, arch, len(radii))
    for name in ("scaler.center", "scaler.scale", "empty_features", "data.min", "data.max"):
        if name not in tensors:
            raise ModelFileError(f"{folder}: model does not match its description (tensor {name} is missing)")
    params = dict(meta["params"])
    if params.get("missing_values") == "NaN":
        params["missing_values"] = np.nan
    if isinstance(params.get("hidden_sizes"), list):
        params["hidden_sizes"] = tuple(params["hidden_sizes"])
    try:
        imputer = cls(**params)
        imputer._validate_params()
    except (TypeError, ValueError) as exc:  # unknown or invalid parameters
        reason = " ".join(str(exc).split())
        raise ModelFileError(f"{folder / META}: invalid parameters ({reason})") from None
    models = []
    for index in range(len(radii)):
        prefix = "model." if index == 0 else f"models.{index}."
        state = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        try:
            models.append(_build_network(arch, state))
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ModelFileError(f"{folder}: model does not match its description ({exc})") from None
    model = models[0]
    imputer.models_, imputer.radii_ = models, radii
    imputer.model_ = model
    imputer.empty_features_ = tensors["empty_features"].numpy().astype(bool)
    imputer.data_min_ = tensors["data.min"].numpy()
    imputer.data_max_ = tensors["data.max"].numpy()
    imputer.fitted_on_array_ = meta.get("encoder") is None
    try:
        description = _array_encoder(meta, imputer) if imputer.fitted_on_array_ else meta["encoder"]
        imputer.encoder_ = TableEncoder.from_json(
            description, tensors["scaler.center"].numpy(), tensors["scaler.scale"].numpy()
        )
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise ModelFileError(f"{folder}: corrupt column encoding in {META} ({exc})") from None
    imputer.scaler_ = imputer.encoder_.scaler_
    imputer.radius_ = radii[0]
    imputer.seed_ = int(meta["seed"])
    imputer.n_features_in_ = int(meta["n_features_in"])
    if meta.get("feature_names_in") is not None:
        imputer.feature_names_in_ = np.asarray(meta["feature_names_in"], dtype=object)
    try:
        imputer.histories_ = [
            TrainingHistory(
                [float(v) for v in hist["train_loss"]], [float(v) for v in hist["validation_loss"]],
                int(hist["best_epoch"]), bool(hist["stopped_early"]),
            )
            for hist in meta["histories"]
        ]
    except (KeyError, AttributeError, TypeError, ValueError) as exc:
        raise ModelFileError(f"{folder}: corrupt training history in {META} ({exc})") from None
    imputer.history_ = imputer.histories_[0]
    if imputer.add_indicator:
        from sklearn.impute import MissingIndicator

        if "indicator_features" not in tensors:
            raise ModelFileError(f"{folder}: model does not match its description (indicator_features is missing)")
        features = tensors["indicator_features"].numpy()
        if features.ndim != 1 or (features.size and (features.min() < 0 or features.max() >= imputer.n_features_in_)):
            raise ModelFileError(f"{folder}: model does not match its description (indicator_features out of range)")
        indicator = MissingIndicator(error_on_new=False)
        indicator.features_ = features
        indicator._n_features = imputer.n_features_in_
        indicator.n_features_in_ = imputer.n_features_in_
        indicator._precomputed = False
        imputer.indicator_ = indicator
    _check_schema(folder, imputer, model)
    imputer.calibration_ = _load_calibration(folder, meta, tensors, imputer)
    return imputer


def _array_encoder(meta: dict[str, Any], imputer: Any) -> dict[str, Any]:
    """The description (:meth:`TableEncoder.to_json`) of an array-fitted model's encoder.

    Every column is numeric: one unit each, in order, except the columns
    without observed values at fit; ranges from ``data_min_``/``data_max_``.

    Raises
    ------
    ValueError
        If the empty-feature flags and the ranges do not fit together.
    """
    empty = imputer.empty_features_
    low, high = imputer.data_min_, imputer.data_max_
    if empty.ndim != 1 or low.shape != high.shape or low.shape != (int((~empty).sum()),):
        raise ValueError("the empty-feature flags and the observed ranges do not match")
    columns, unit = [], 0
    for is_empty in empty:
        column = {"kind": ColumnKind.NUMERIC.value, "start": 0, "width": 0, "categories": [], "low": None,
                  "high": None, "timezone": None, "round_to_days": False, "empty": bool(is_empty),
                  "exact_low": None, "exact_high": None}
        if not is_empty:
            column.update(start=unit, width=1, low=float(low[unit]), high=float(high[unit]))
            unit += 1
        columns.append(column)
    params = imputer.get_params()
    missing_values = params["missing_values"]
    return {
        "scaling": meta["scaling"], "max_categories": params["max_categories"],
        "handle_unknown": params["handle_unknown"],
        "missing_values": None if isinstance(missing_values, float) and np.isnan(missing_values) else missing_values,
        "keep_empty": params["keep_empty_features"], "n_columns": len(empty), "columns": columns,
        "layout": UnitLayout.numeric(unit).to_json(),
    }


def _load_calibration(folder: Path, meta: dict[str, Any], tensors: dict[str, torch.Tensor], imputer: Any) -> Any:
    """The held-out scores saved with the model (None when it was fitted without calibration).

    Raises
    ------
    ModelFileError
        If the description or the arrays are missing, of the wrong shape or
        type, out of bounds or not finite.
    """
    from revimpute.conformal import Calibration

    described = meta.get("calibration")
    names = [f"calibration.{name}" for name in Calibration.ARRAYS]
    if described is None:
        if any(name in tensors for name in names):
            raise ModelFileError(f"{folder}: model does not match its description (calibration scores not described)")
        return None

    def bad(why: str) -> ModelFileError:
        return ModelFileError(f"{folder}: corrupt calibration ({why}); the model file is corrupt or was modified")

    if not isinstance(described, dict):
        raise bad(f"field 'calibration' in {META} must be null or a JSON object")
    n_columns = imputer.encoder_.layout_.n_columns
    if described.get("n_columns") != n_columns or isinstance(described.get("n_columns"), bool):
        raise bad(f"'n_columns' must be {n_columns}, the model's encoded columns")
    if not _whole(described.get("n_rows"), 1, 2**62):
        raise bad("'n_rows' must be a whole number >= 1")
    missing = [name for name in names if name not in tensors]
    if missing:
        raise bad(f"tensor {missing[0]} is missing")
    arrays = {name.split(".", 1)[1]: tensors[name].numpy() for name in names}
    n = arrays["column"].shape[0] if arrays["column"].ndim == 1 else -1
    k = arrays["class_column"].shape[0] if arrays["class_column"].ndim == 1 else -1
    n_networks = len(imputer.models_)
    expected = {
        "column": ((n,), "i"), "residual": ((n,), "f"), "spread": ((n,), "f"),
        "member_residual": ((n, n_networks), "f"), "table_residual": ((n,), "f"),
        "class_column": ((k,), "i"), "class_score": ((k,), "f"), "class_correct": ((k,), "u"),
        "floor": ((n_columns,), "f"),
    }
    if n < 0 or k < 0 or n + k > LIMITS["calibration_scores"]:
        raise bad(f"at most {LIMITS['calibration_scores']:,} scores in one-dimensional arrays")
    for name, (shape, kind) in expected.items():
        array = arrays[name]
        if array.shape != shape or array.dtype.kind != kind:
            raise bad(f"{name} has shape {array.shape} and type {array.dtype}, expected {shape} of kind {kind!r}")
        if kind == "f" and not np.isfinite(array).all():
            raise bad(f"{name} holds values that are not finite numbers")
    for name in ("column", "class_column"):
        if arrays[name].size and (arrays[name].min() < 0 or arrays[name].max() >= n_columns):
            raise bad(f"{name} names a column out of range")
    if (arrays["spread"] < 0).any() or (arrays["floor"] <= 0).any():
        raise bad("spreads must be >= 0 and floors > 0")
    if ((arrays["class_score"] < 0) | (arrays["class_score"] > 1)).any() or (arrays["class_correct"] > 1).any():
        raise bad("class scores must lie in [0, 1] and correctness be 0 or 1")
    return Calibration.from_arrays(n_columns, described["n_rows"], arrays)


def _check_schema(folder: Path, imputer: Any, model: MLPAutoencoder) -> None:
    """The column schema, the scaler and the network agree on their sizes."""
    encoder = imputer.encoder_
    n_kept = encoder.layout_.n_units
    n_numbers = len(encoder.layout_.numeric_units)
    if encoder.n_columns_ != imputer.n_features_in_ or len(encoder.codes_) != imputer.n_features_in_:
        raise ModelFileError(f"{folder}: the column schema does not match the network")
    widths = sum(code.width for code in encoder.codes_)
    if widths != n_kept or len(encoder.layout_.column_of_unit) != n_kept:
        raise ModelFileError(f"{folder}: the column schema does not match the network")
    finite = bool(np.isfinite(imputer.scaler_.center_).all() and np.isfinite(imputer.scaler_.scale_).all()
                  and (imputer.scaler_.scale_ > 0).all())
    if (
        len(imputer.empty_features_) != imputer.n_features_in_
        or n_kept != model.n_features
        or imputer.scaler_.center_.shape != (n_numbers,)
        or imputer.scaler_.scale_.shape != (n_numbers,)
        or imputer.data_min_.shape != (n_numbers,)
        or imputer.data_max_.shape != (n_numbers,)
        or not finite
    ):
        raise ModelFileError(f"{folder}: the column schema does not match the network")
