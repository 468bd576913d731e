"""impute layer."""
