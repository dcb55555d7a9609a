//! pgvector versions: `MAJOR.MINOR[.PATCH]`.

use std::fmt;
use std::str::FromStr;

/// A pgvector version, as `pg_available_extensions` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl Version {
    #[must_use]
    pub const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A version string that is not `MAJOR.MINOR[.PATCH]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionError {
    input: String,
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a version: expected MAJOR.MINOR or MAJOR.MINOR.PATCH, for example 0.8.0",
            self.input
        )
    }
}

impl std::error::Error for VersionError {}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = || VersionError {
            input: input.to_owned(),
        };
        let parts = input
            .trim()
            .split('.')
            .map(|part| {
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(error());
                }
                part.parse::<u64>().map_err(|_| error())
            })
            .collect::<Result<Vec<_>, _>>()?;
        match parts.as_slice() {
            [major, minor] => Ok(Self::new(*major, *minor, 0)),
            [major, minor, patch] => Ok(Self::new(*major, *minor, *patch)),
            _ => Err(error()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_two_and_three_parts() {
        assert_eq!("0.8".parse(), Ok(Version::new(0, 8, 0)));
        assert_eq!(" 0.7.4 ".parse(), Ok(Version::new(0, 7, 4)));
    }

    #[test]
    fn rejects_other_shapes() {
        for input in [
            "",
            "1",
            "0.8.0.1",
            "v0.8",
            "0.x",
            "0..1",
            "-1.0",
            "0.8.0-rc1",
        ] {
            let error = input.parse::<Version>().unwrap_err();
            assert!(error.to_string().contains("is not a version"), "{input}");
        }
    }

    #[test]
    fn orders_numerically() {
        assert!(Version::new(0, 10, 0) > Version::new(0, 9, 9));
        assert!(Version::new(0, 5, 0) > Version::new(0, 4, 4));
    }
}
