"""Autoencoder models and their masked training."""

from revimpute.nn.autoencoder import MLPAutoencoder
from revimpute.nn.training import TrainingConfig, TrainingHistory, code_radius, train_autoencoder

__all__ = [
    "MLPAutoencoder",
    "TrainingConfig",
    "TrainingHistory",
    "code_radius",
    "train_autoencoder",
]
