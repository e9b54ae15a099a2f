//! Kubernetes version support on AKS: a calendar of minor versions with their dates, shipped
//! with the tool (`versions.yaml`, from Microsoft Learn's AKS release calendar) and
//! replaceable by the user (`--aks-versions FILE`), judged as of a date (`--as-of`).
//!
//! The rule of the checklists is AKS's own "N-2": a minor version is supported from its AKS GA
//! date until its end of life (the date AKS drops it, when version N+3 reaches GA); a version
//! with long-term support stays supported on the Premium tier until its LTS end.

use std::fmt;

use serde::Deserialize;

/// A calendar date (UTC), compared as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Date, String> {
        let bad = || format!("`{s}` is not a date (expected YYYY-MM-DD)");
        let mut it = s.trim().splitn(3, '-');
        let (Some(y), Some(m), Some(d)) = (it.next(), it.next(), it.next()) else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let year: u16 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        let day: u8 = d.parse().map_err(|_| bad())?;
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(bad()),
        };
        if day == 0 || day > days {
            return Err(bad());
        }
        Ok(Date { year, month, day })
    }

    /// Today's date (UTC) from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Date::from_days((secs / 86_400) as i64)
    }

    /// The civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
    fn from_days(z: i64) -> Date {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
        Date { year, month, day }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// One minor version of the calendar. End dates are the last day of support (inclusive).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MinorVersion {
    /// `1.30`.
    pub minor: String,
    #[serde(default)]
    pub upstream_release: Option<Date>,
    #[serde(default)]
    pub aks_preview: Option<Date>,
    pub aks_ga: Option<Date>,
    pub end_of_life: Option<Date>,
    #[serde(default)]
    pub lts_end: Option<Date>,
    #[serde(default)]
    pub planned: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    #[serde(default)]
    pub source: Option<String>,
    /// When the calendar was taken from its source.
    #[serde(default)]
    pub retrieved: Option<String>,
    pub versions: Vec<MinorVersion>,
}

/// The calendar shipped with aksguard.
pub const BUILTIN: &str = include_str!("versions.yaml");

/// What the calendar says about a version on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    /// Generally available and within standard support.
    Supported { minor: String, until: Option<Date> },
    /// Past the end of standard support (`since`) but within long-term support, which only
    /// clusters on the Premium tier with the AKSLongTermSupport plan get.
    LongTermSupport {
        minor: String,
        since: Date,
        until: Date,
    },
    /// Past its end of life.
    EndOfLife { minor: String, since: Date },
    /// Not yet generally available on AKS on that date (preview or unreleased).
    NotYetGa { minor: String },
    /// Older than every version of the calendar: past the end of life of the oldest one.
    OlderThanCalendar {
        minor: String,
        oldest: String,
        since: Option<Date>,
    },
    /// The calendar does not list this minor version (newer than it, or a gap).
    Unknown { minor: String },
    /// Not a Kubernetes version (`latest`, an expression).
    Unparsable,
}

impl Calendar {
    pub fn parse(text: &str) -> Result<Calendar, String> {
        let cal: Calendar = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        if cal.versions.is_empty() {
            return Err("the calendar lists no versions".to_string());
        }
        for v in &cal.versions {
            if minor_of(&v.minor).as_deref() != Some(v.minor.as_str()) {
                return Err(format!(
                    "`{}` is not a minor version (expected MAJOR.MINOR such as 1.30)",
                    v.minor
                ));
            }
        }
        Ok(cal)
    }

    pub fn builtin() -> Calendar {
        Calendar::parse(BUILTIN).expect("the built-in calendar is valid (tested)")
    }

    /// Support of `version` (`1.30`, `1.30.4`, `v1.30.4`) on `date`.
    pub fn support(&self, version: &str, date: Date) -> Support {
        let Some(minor) = minor_of(version) else {
            return Support::Unparsable;
        };
        let Some(v) = self.versions.iter().find(|v| v.minor == minor) else {
            let oldest = self.versions.iter().min_by_key(|v| minor_key(&v.minor));
            return match oldest {
                Some(o) if minor_key(&minor) < minor_key(&o.minor) => Support::OlderThanCalendar {
                    minor,
                    oldest: o.minor.clone(),
                    since: o.end_of_life,
                },
                _ => Support::Unknown { minor },
            };
        };
        match (v.aks_ga, v.end_of_life) {
            (Some(ga), _) if date < ga => Support::NotYetGa { minor },
            (None, _) => Support::NotYetGa { minor },
            (_, Some(eol)) if date > eol => match v.lts_end {
                Some(lts) if date <= lts => Support::LongTermSupport {
                    minor,
                    since: eol,
                    until: lts,
                },
                _ => Support::EndOfLife { minor, since: eol },
            },
            (_, eol) => Support::Supported { minor, until: eol },
        }
    }

    /// The minor versions generally available and in standard support on `date`, newest first.
    pub fn supported_on(&self, date: Date) -> Vec<&str> {
        let mut v: Vec<&MinorVersion> = self
            .versions
            .iter()
            .filter(|v| {
                v.aks_ga.is_some_and(|ga| ga <= date) && v.end_of_life.is_none_or(|e| date <= e)
            })
            .collect();
        v.sort_by_key(|v| std::cmp::Reverse(minor_key(&v.minor)));
        v.into_iter().map(|v| v.minor.as_str()).collect()
    }
}

fn minor_key(minor: &str) -> (u32, u32) {
    let mut it = minor.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// `1.30` of `1.30`, `1.30.4`, `v1.30.4`; None when the text is not a version.
pub fn minor_of(version: &str) -> Option<String> {
    let v = version.trim().trim_start_matches(['v', 'V']);
    // Pre-release and build suffixes (`-hotfix.20240101`, `+build`) are not part of the number.
    let v = v.split(['-', '+']).next().unwrap_or(v);
    let mut parts = v.split('.');
    let major = parts.next()?;
    let minor = parts.next()?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) {
        return None;
    }
    if let Some(patch) = parts.next()
        && !digits(patch)
    {
        return None;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(format!(
        "{}.{}",
        major.parse::<u32>().ok()?,
        minor.parse::<u32>().ok()?
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn dates() {
        assert_eq!(d("2026-11-23").to_string(), "2026-11-23");
        assert!(Date::parse("2026-02-30").is_err());
        assert!(Date::parse("2024-02-29").is_ok());
        assert!(Date::parse("2023-02-29").is_err());
        assert!(Date::parse("26-1-1").is_err());
        assert!(d("2025-01-01") < d("2025-01-02"));
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_415).to_string(), "2025-11-23");
        assert!(Date::today().year >= 2025);
    }

    #[test]
    fn minor_versions() {
        assert_eq!(minor_of("1.30.4").as_deref(), Some("1.30"));
        assert_eq!(minor_of("v1.29").as_deref(), Some("1.29"));
        assert_eq!(minor_of("1.31.1-hotfix.20240101").as_deref(), Some("1.31"));
        assert_eq!(minor_of("latest"), None);
        assert_eq!(minor_of("[parameters('v')]"), None);
        assert_eq!(minor_of("1.30.4.5"), None);
    }

    #[test]
    fn support_windows() {
        let cal = Calendar::parse(
            "versions:\n\
             - {minor: \"1.28\", aks_ga: 2023-10-01, end_of_life: 2024-11-01, lts_end: 2025-11-01}\n\
             - {minor: \"1.29\", aks_ga: 2024-03-01, end_of_life: 2025-03-01}\n\
             - {minor: \"1.30\", aks_ga: 2024-07-01, end_of_life: 2025-07-01}\n",
        )
        .unwrap();
        let on = d("2025-01-15");
        assert_eq!(
            cal.support("1.29.2", on),
            Support::Supported {
                minor: "1.29".into(),
                until: Some(d("2025-03-01"))
            }
        );
        assert_eq!(
            cal.support("1.28.5", on),
            Support::LongTermSupport {
                minor: "1.28".into(),
                since: d("2024-11-01"),
                until: d("2025-11-01")
            }
        );
        assert!(matches!(
            cal.support("1.28", d("2026-01-01")),
            Support::EndOfLife { .. }
        ));
        assert!(matches!(
            cal.support("1.30", d("2024-06-01")),
            Support::NotYetGa { .. }
        ));
        assert!(matches!(cal.support("1.99", on), Support::Unknown { .. }));
        assert!(matches!(
            cal.support("1.9.6", on),
            Support::OlderThanCalendar { .. }
        ));
        assert_eq!(cal.supported_on(on), vec!["1.30", "1.29"]);
        assert!(Calendar::parse("versions: []").is_err());
        assert!(
            Calendar::parse(
                "versions:\n- {minor: \"1\", aks_ga: 2023-01-01, end_of_life: 2024-01-01}"
            )
            .is_err()
        );
    }

    #[test]
    fn builtin_calendar_is_valid() {
        let cal = Calendar::builtin();
        assert!(cal.versions.len() >= 5);
        for v in &cal.versions {
            if let (Some(ga), Some(eol)) = (v.aks_ga, v.end_of_life) {
                assert!(ga < eol, "{}: GA after end of life", v.minor);
            }
        }
    }
}
