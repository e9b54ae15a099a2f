//! Kubernetes resource quantities (`100m`, `1.5Gi`, `1e3`), compared exactly.
//!
//! A quantity is held as an integer number of nano-units (10^-9), enough for every suffix from
//! `n` to `Ei` without floating-point error, which is how the API server compares them too.

use serde_json::Value;

/// A parsed quantity in nano-units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(pub i128);

const NANO: i128 = 1_000_000_000;

impl Quantity {
    /// Parses the Kubernetes quantity grammar: `[+-]digits[.digits][suffix]`, suffix one of
    /// `n u m k M G T P E`, `Ki Mi Gi Ti Pi Ei`, or `e`/`E` followed by an integer exponent.
    pub fn parse(s: &str) -> Option<Quantity> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        let bytes = s.as_bytes();
        let mut i = 0;
        let neg = match bytes[0] {
            b'-' => {
                i = 1;
                true
            }
            b'+' => {
                i = 1;
                false
            }
            _ => false,
        };
        let num_start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let number = &s[num_start..i];
        let suffix = &s[i..];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        // value = digits * 10^(exp10) * 2^(exp2)
        let (exp10, exp2): (i32, u32) = match suffix {
            "" => (0, 0),
            "n" => (-9, 0),
            "u" => (-6, 0),
            "m" => (-3, 0),
            "k" => (3, 0),
            "M" => (6, 0),
            "G" => (9, 0),
            "T" => (12, 0),
            "P" => (15, 0),
            "E" => (18, 0),
            "Ki" => (0, 10),
            "Mi" => (0, 20),
            "Gi" => (0, 30),
            "Ti" => (0, 40),
            "Pi" => (0, 50),
            "Ei" => (0, 60),
            other => {
                let exp = other.strip_prefix(['e', 'E'])?;
                let e: i32 = exp.parse().ok()?;
                if !(-40..=40).contains(&e) {
                    return None;
                }
                (e, 0)
            }
        };
        let digits = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 30 {
            return None;
        }
        let mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().ok()?
        };
        // nano units: mantissa * 10^(exp10 - frac_len + 9) * 2^exp2, rounded up like the API.
        let scale = exp10 - frac_part.len() as i32 + 9;
        let mut v = mantissa.checked_mul(1i128.checked_shl(exp2)?)?;
        if scale >= 0 {
            v = v.checked_mul(10i128.checked_pow(scale as u32)?)?;
        } else {
            let d = 10i128.checked_pow((-scale) as u32)?;
            v = (v + d - 1) / d;
        }
        Some(Quantity(if neg { -v } else { v }))
    }

    /// From a JSON value: a string, or a number as YAML may give (`cpu: 0.5`, `memory: 1024`).
    pub fn from_value(v: &Value) -> Option<Quantity> {
        match v {
            Value::String(s) => Quantity::parse(s),
            Value::Number(n) => Quantity::parse(&n.to_string()),
            _ => None,
        }
    }

    /// Whole units (rounded down), for messages.
    pub fn units(self) -> i128 {
        self.0 / NANO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn suffixes() {
        assert_eq!(q("100m"), q("0.1"));
        assert_eq!(q("1Ki"), q("1024"));
        assert_eq!(q("1Gi"), q("1073741824"));
        assert_eq!(q("1G"), q("1e9"));
        assert_eq!(q("1.5Gi"), q("1536Mi"));
        assert_eq!(q("2E"), q("2e18"));
        assert!(q("1Gi") > q("1G"));
        assert!(q("129Mi") > q("128Mi"));
        assert!(q("500m") < q("1"));
        assert_eq!(q("1n").0, 1);
        assert_eq!(q("0").0, 0);
        assert_eq!(q("-1").0, -NANO);
        assert_eq!(q("1Ei").units(), 1 << 60);
    }

    #[test]
    fn invalid() {
        for s in ["", "abc", "1.2.3", "1Qi", "Mi", ".", "1e999", "1 Gi"] {
            assert!(Quantity::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn numbers_from_yaml() {
        assert_eq!(
            Quantity::from_value(&serde_json::json!(0.5)),
            Some(q("500m"))
        );
        assert_eq!(Quantity::from_value(&serde_json::json!(2)), Some(q("2")));
    }
}
