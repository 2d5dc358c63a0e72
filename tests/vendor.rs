//! Integration tests: vendor.
