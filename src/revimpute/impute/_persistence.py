"""Saving and loading a fitted ReverseImputer without pickle.

A model is a folder with two files:

* ``weights.safetensors``: the network's tensors and the learned arrays
  (scaler, empty-feature flags, indicator features) — safetensors holds plain
  tensors only, so loading it cannot run code;
* ``model.json``: the parameters, the architecture, the column schema, the
  library version and the SHA-256 of the weights file.

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

from revimpute.encode import NumericScaler
from revimpute.encode.table import TableEncoder
from revimpute.exceptions import InputDataError, ModelFileError
from revimpute.nn import MLPAutoencoder, TrainingHistory

FORMAT = "revimpute-model"
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


def save_reverse_imputer(imputer: Any, path: str | os.PathLike) -> Path:
    """Write a fitted ReverseImputer to the folder ``path`` (replaced atomically)."""
    from revimpute import __version__

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    tmp.chmod(0o755)
    try:
        models = getattr(imputer, "models_", [imputer.model_])
        tensors = {}
        for index, network in enumerate(models):
            prefix = "model." if index == 0 else f"models.{index}."
            tensors.update(
                {f"{prefix}{k}": v.detach().cpu().contiguous() for k, v in network.state_dict().items()}
            )
        tensors["scaler.center"] = torch.from_numpy(imputer.scaler_.center_.copy())
        tensors["scaler.scale"] = torch.from_numpy(imputer.scaler_.scale_.copy())
        tensors["empty_features"] = torch.from_numpy(imputer.empty_features_.astype(np.uint8))
        tensors["data.min"] = torch.from_numpy(np.asarray(imputer.data_min_, dtype=np.float64))
        tensors["data.max"] = torch.from_numpy(np.asarray(imputer.data_max_, dtype=np.float64))
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
            "architecture": imputer.model_.config(),
            "scaling": imputer.scaler_.method,
            "radius": imputer.radius_,
            "radii": [float(r) for r in getattr(imputer, "radii_", [imputer.radius_])],
            "seed": imputer.seed_,
            "n_features_in": int(imputer.n_features_in_),
            "feature_names_in": None if names is None else [str(n) for n in names],
            "encoder": None if getattr(imputer, "encoder_", None) is None else imputer.encoder_.to_json(),
            "history": {
                "train_loss": imputer.history_.train_loss,
                "validation_loss": imputer.history_.validation_loss,
                "best_epoch": imputer.history_.best_epoch,
                "stopped_early": imputer.history_.stopped_early,
            },
            "histories": [
                {"train_loss": h.train_loss, "validation_loss": h.validation_loss,
                 "best_epoch": h.best_epoch, "stopped_early": h.stopped_early}
                for h in getattr(imputer, "histories_", [imputer.history_])
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


def load_reverse_imputer(cls: type, path: str | os.PathLike) -> Any:
    """Rebuild a fitted ReverseImputer saved by :func:`save_reverse_imputer`."""
    folder = Path(path)
    meta = _read_meta(folder)
    if _sha256(folder / WEIGHTS) != meta.get("weights_sha256"):
        raise ModelFileError(
            f"{folder / WEIGHTS}: checksum mismatch — the weights file is corrupt or was modified"
        )
    try:
        tensors = load_file(str(folder / WEIGHTS))
        params = dict(meta["params"])
        if params.get("missing_values") == "NaN":
            params["missing_values"] = np.nan
        if isinstance(params.get("hidden_sizes"), list):
            params["hidden_sizes"] = tuple(params["hidden_sizes"])
        imputer = cls(**params)
        arch = meta["architecture"]
        model = MLPAutoencoder(
            arch["n_features"], arch["hidden_sizes"], arch["latent_size"], arch["mask_channel"]
        )
        state = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
        model.load_state_dict(state, strict=True)
        radii = [float(r) for r in meta.get("radii", [meta["radius"]])]
        models = [model]
        for index in range(1, len(radii)):
            prefix = f"models.{index}."
            extra = MLPAutoencoder(
                arch["n_features"], arch["hidden_sizes"], arch["latent_size"], arch["mask_channel"]
            )
            extra.load_state_dict(
                {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}, strict=True
            )
            models.append(extra)
    except (SafetensorError, KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{folder}: model does not match its description ({exc})") from None
    for network in models:
        network.eval()
        for p in network.parameters():
            p.requires_grad_(False)
    imputer.models_, imputer.radii_ = models, radii
    imputer.model_ = model
    imputer.scaler_ = NumericScaler.from_arrays(
        meta["scaling"], tensors["scaler.center"].numpy(), tensors["scaler.scale"].numpy()
    )
    imputer.encoder_ = None
    if meta.get("encoder") is not None:
        try:
            imputer.encoder_ = TableEncoder.from_json(
                meta["encoder"], tensors["scaler.center"].numpy(), tensors["scaler.scale"].numpy()
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"{folder}: corrupt column encoding in {META} ({exc})") from None
        imputer.scaler_ = imputer.encoder_.scaler_
    imputer.empty_features_ = tensors["empty_features"].numpy().astype(bool)
    imputer.data_min_ = tensors["data.min"].numpy()
    imputer.data_max_ = tensors["data.max"].numpy()
    imputer.radius_ = float(meta["radius"])
    imputer.seed_ = int(meta["seed"])
    imputer.n_features_in_ = int(meta["n_features_in"])
    if meta.get("feature_names_in") is not None:
        imputer.feature_names_in_ = np.asarray(meta["feature_names_in"], dtype=object)
    imputer.histories_ = [
        TrainingHistory(
            hist.get("train_loss", []), hist.get("validation_loss", []),
            hist.get("best_epoch", 0), hist.get("stopped_early", False),
        )
        for hist in meta.get("histories", [meta.get("history", {})])
    ]
    imputer.history_ = imputer.histories_[0]
    if imputer.add_indicator:
        from sklearn.impute import MissingIndicator

        features = tensors["indicator_features"].numpy()
        indicator = MissingIndicator(error_on_new=False)
        indicator.features_ = features
        indicator._n_features = imputer.n_features_in_
        indicator.n_features_in_ = imputer.n_features_in_
        indicator._precomputed = False
        imputer.indicator_ = indicator
    n_kept = int((~imputer.empty_features_).sum())
    n_numbers = n_kept
    if imputer.encoder_ is not None:
        n_kept = imputer.encoder_.layout_.n_units
        n_numbers = len(imputer.encoder_.layout_.numeric_units)
    if (
        len(imputer.empty_features_) != imputer.n_features_in_
        or n_kept != model.n_features
        or imputer.scaler_.center_.shape != (n_numbers,)
        or imputer.data_min_.shape != (n_numbers,)
    ):
        raise ModelFileError(f"{folder}: the column schema does not match the network")
    return imputer
