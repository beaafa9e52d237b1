//! Editions.
