//! Timestamps on the wire: RFC 3339 in UTC, written and read without chrono's format
//! machinery.
//!
//! Every article and comment carries two timestamps, so a page of 20 articles writes 40 of
//! them in models, reads 40 in experience and writes 40 again. chrono's `format` interprets
//! its pattern for every value and its parser is general; under the API benchmark they were
//! an eighth of experience's CPU on a list (`docs/performance.md`). Here the one shape the
//! tiers write (`2016-02-18T03:22:56.637Z`) is written digit by digit and read the same
//! way; any other RFC 3339 time is still read, by chrono.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};

/// `YYYY-MM-DDTHH:MM:SS` then `.` and up to nine digits, then `Z`.
const MAX_LEN: usize = 30;

/// Writes `value`'s last `out.len()` decimal digits into `out`.
fn put(mut value: u32, out: &mut [u8]) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Writes `t` with `digits` fractional digits (0 to 9, truncated) and `Z`; `None` for a year
/// outside 0..=9999, which RFC 3339 cannot write.
fn write(t: &DateTime<Utc>, digits: u32, out: &mut [u8; MAX_LEN]) -> Option<usize> {
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    // A leap second is the 60th second (chrono keeps it as nanoseconds past a billion).
    let nanos = t.nanosecond();
    out[..20].copy_from_slice(b"0000-00-00T00:00:00.");
    put(year, &mut out[0..4]);
    put(t.month(), &mut out[5..7]);
    put(t.day(), &mut out[8..10]);
    put(t.hour(), &mut out[11..13]);
    put(t.minute(), &mut out[14..16]);
    put(t.second() + nanos / 1_000_000_000, &mut out[17..19]);
    let end = match digits.min(9) {
        0 => 19,
        digits => {
            let end = 20 + digits as usize;
            put(
                nanos % 1_000_000_000 / 10u32.pow(9 - digits),
                &mut out[20..end],
            );
            end
        }
    };
    out[end] = b'Z';
    Some(end + 1)
}

/// Serializes with `digits` fractional digits.
fn serialize<S: Serializer>(t: &DateTime<Utc>, digits: u32, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; MAX_LEN];
    match write(t, digits, &mut buf) {
        // Only ASCII digits and separators were written.
        Some(len) => s.serialize_str(std::str::from_utf8(&buf[..len]).unwrap_or_default()),
        None => Err(serde::ser::Error::custom(format!(
            "{t} is outside the years RFC 3339 can write"
        ))),
    }
}

/// Reads `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` without chrono's parser; `None` for any other shape.
fn parse_utc(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 20 || b.len() > MAX_LEN || b[b.len() - 1] != b'Z' {
        return None;
    }
    let num = |from: usize, len: usize| -> Option<u32> {
        b.get(from..from + len)?.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|(i, c)| b[*i] != *c) {
        return None;
    }
    let nanos = match b.len() - 20 {
        0 => 0,
        1 => return None,
        n => {
            if b[19] != b'.' {
                return None;
            }
            let digits = n as u32 - 1;
            num(20, digits as usize)? * 10u32.pow(9 - digits)
        }
    };
    if b.len() == 20 && b[19] != b'Z' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 2)?, num(8, 2)?)?;
    let (second, leap) = match num(17, 2)? {
        60 => (59, 1_000_000_000),
        s => (s, 0),
    };
    let time = NaiveTime::from_hms_nano_opt(num(11, 2)?, num(14, 2)?, second, nanos + leap)?;
    Some(NaiveDateTime::new(date, time).and_utc())
}

/// Reads any RFC 3339 time: the shape the tiers write at once, others through chrono.
fn parse(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match parse_utc(s) {
        Some(t) => Ok(t),
        None => DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)),
    }
}

struct TimeVisitor;

impl Visitor<'_> for TimeVisitor {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an RFC 3339 time")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        parse(s).map_err(E::custom)
    }
}

fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    d.deserialize_str(TimeVisitor)
}

/// The public API's timestamps: `2016-02-18T03:22:56.637Z` (milliseconds, as the RealWorld
/// spec shows them); any RFC 3339 time is read.
pub mod millis {
    use super::*;

    /// Writes the time with exactly three fractional digits and `Z`.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        super::serialize(t, 3, s)
    }

    /// Reads any RFC 3339 time.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        super::deserialize(d)
    }
}

/// The models API's timestamps: microseconds, the database's precision, so a time read back
/// is the time stored; any RFC 3339 time is read.
pub mod micros {
    use super::*;

    /// Writes the time with six fractional digits and `Z`.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        super::serialize(t, 6, s)
    }

    /// Reads any RFC 3339 time.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        super::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn written(t: &DateTime<Utc>, digits: u32) -> String {
        let mut buf = [0u8; MAX_LEN];
        let len = write(t, digits, &mut buf).unwrap();
        String::from_utf8(buf[..len].to_vec()).unwrap()
    }

    #[test]
    fn writes_what_chrono_writes() {
        let base = Utc.with_ymd_and_hms(2016, 2, 18, 3, 22, 56).unwrap();
        for t in [
            base,
            base + Duration::nanoseconds(637_004_321),
            base + Duration::microseconds(999_999),
            Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap() + Duration::milliseconds(5),
            Utc.with_ymd_and_hms(2026, 12, 5, 9, 7, 3).unwrap() + Duration::microseconds(42),
        ] {
            assert_eq!(
                written(&t, 3),
                t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
            );
            assert_eq!(
                written(&t, 6),
                t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
            );
            assert_eq!(written(&t, 0), t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        }
    }

    #[test]
    fn years_rfc_3339_cannot_write_are_an_error() {
        let t = Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap();
        let json = serde_json::to_string(&Wrapped(t));
        assert!(json.is_err(), "{json:?}");
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Wrapped(#[serde(with = "micros")] DateTime<Utc>);

    #[test]
    fn reads_what_it_writes_and_any_rfc_3339_time() {
        let t =
            Utc.with_ymd_and_hms(2016, 2, 18, 3, 22, 56).unwrap() + Duration::microseconds(637_004);
        let json = serde_json::to_string(&Wrapped(t)).unwrap();
        assert_eq!(json, r#""2016-02-18T03:22:56.637004Z""#);
        assert_eq!(serde_json::from_str::<Wrapped>(&json).unwrap().0, t);
        for (text, expected) in [
            ("2016-02-18T03:22:56Z", "2016-02-18T03:22:56Z"),
            ("2016-02-18T03:22:56.6Z", "2016-02-18T03:22:56.600Z"),
            ("2016-02-18T03:22:56.123456789Z", "2016-02-18T03:22:56.123Z"),
            // Not the tiers' shape: chrono reads them.
            ("2016-02-18T05:22:56.637+02:00", "2016-02-18T03:22:56.637Z"),
            ("2016-02-18t03:22:56.637z", "2016-02-18T03:22:56.637Z"),
            ("2016-12-31T23:59:60Z", "2016-12-31T23:59:60Z"),
            (
                "2016-02-18T03:22:56.1234567891Z",
                "2016-02-18T03:22:56.123Z",
            ),
        ] {
            let read = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                written(&read, if expected.len() == 20 { 0 } else { 3 }),
                expected,
                "{text}"
            );
            assert_eq!(
                Some(read),
                DateTime::parse_from_rfc3339(text).ok().map(|t| t.to_utc())
            );
        }
        // Whatever the shape, the answer is chrono's.
        for text in [
            "",
            "2016-02-18",
            "2016-02-18T03:22:56",
            "2016-02-18T03:22:56.Z",
            "2016-02-30T03:22:56Z",
            "2016-02-18T24:00:00Z",
            "2016-02-18 03:22:56Z",
            "+016-02-18T03:22:56Z",
            "2016-02-18T03:22:56.12a4Z",
            "2016-02-18T03:22:56.1234Z",
            "0000-01-01T00:00:00Z",
            "2016-02-18T03:22:61Z",
        ] {
            let chrono = DateTime::parse_from_rfc3339(text).map(|t| t.to_utc()).ok();
            assert_eq!(parse(text).ok(), chrono, "{text}");
            let json = serde_json::from_str::<Wrapped>(&format!("{text:?}")).ok();
            assert_eq!(json.map(|w| w.0), chrono, "{text}");
        }
        assert!(parse("2016-02-30T03:22:56Z").is_err());
        let escaped = serde_json::from_str::<Wrapped>(r#""2016-02-18T03:22:56\u002E637004Z""#);
        assert_eq!(escaped.unwrap().0, t);
    }
}
