//! Calibration of the roofline on measured data (placeholder).
