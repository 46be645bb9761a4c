//! Tolerant value parsing.
