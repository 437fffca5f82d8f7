//! Times as the scenario document writes them: `YYYY-MM-DDTHH:MM:SSZ` (UTC).
//! The core reads no clock; these only convert.

use alloc::format;
use alloc::string::String;

use crate::error::{Error, Result};
use crate::ids::shorten;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parse `YYYY-MM-DDTHH:MM:SSZ` into seconds since the epoch.
///
/// # Errors
/// `InvalidParameter` on any other form or an impossible date (field `at`).
pub fn parse(s: &str) -> Result<u64> {
    let bad = || Error::invalid("at", None, format!("`{}` is not a UTC time like `2026-01-01T00:00:00Z`", shorten(s)));
    let b = s.as_bytes();
    if b.len() != 20
        || b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || b.get(10) != Some(&b'T')
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
        || b.get(19) != Some(&b'Z')
    {
        return Err(bad());
    }
    let num = |r: core::ops::Range<usize>| -> Result<i64> {
        let part = s.get(r).ok_or_else(bad)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        part.parse::<i64>().map_err(|_| bad())
    };
    let (y, mo, d, h, mi, se) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mdays = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let max_day = usize::try_from(mo - 1).ok().and_then(|i| mdays.get(i)).copied().ok_or_else(bad)?;
    if y < 1970 || d < 1 || d > max_day || h > 23 || mi > 59 || se > 59 {
        return Err(bad());
    }
    let days = days_from_civil(y, mo, d);
    u64::try_from(days * 86_400 + h * 3600 + mi * 60 + se).map_err(|_| bad())
}

/// Format seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let rem = t % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem % 3600) / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for s in ["1970-01-01T00:00:00Z", "2026-02-28T23:59:59Z", "2028-02-29T12:00:00Z", "2026-11-28T15:47:33Z"] {
            assert_eq!(format(parse(s).unwrap()), s);
        }
        assert_eq!(parse("2026-01-01T00:00:00Z").unwrap(), 1_767_225_600);
    }

    #[test]
    fn rejects_impossible_dates() {
        for s in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01 00:00:00",
            "",
            "2026-01-01T24:00:00Z",
            "2026-1-01T00:00:00Z",
        ] {
            assert_eq!(parse(s).unwrap_err().code(), "InvalidParameter", "{s}");
        }
    }
}
