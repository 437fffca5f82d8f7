//! The `DOMAIN.md` rule ids this build implements. The corpus test fails when a
//! rule listed here is exercised by no scenario of `tests/scenarios/`.

/// Every implemented rule id.
pub const RULES: &[&str] = &[
    "RD-1", "RD-2", "RD-3", "RD-4", "RD-5", "RD-6", "RD-7", //
    "KI-1", "KI-2", "KI-3", "KI-4", "KI-5", "KI-6", "KI-7", //
    "RS-1", "RS-2", "RS-3", "RS-4", "RS-5", "RS-6", "RS-7", "RS-8", //
    "SM-1", "SM-2", "SM-3", //
    "PM",   // the permission matrix
    "RAM-1", "RAM-2", "RAM-3", //
    "AZ-1", "AZ-2", "AZ-3", //
    "CR-1", "CR-2", "CR-3", "CR-4", "CR-5", //
    "AT-1", "AT-2",
];
