//! Where S3 backups go (`s3://BUCKET/PREFIX`) and how to reach the store: the parsers the
//! settings table uses for the standard AWS variables and slipway's own, and what the target
//! makes of their values.

use std::fmt;

use super::S3Error;
use crate::redact::Secret;

const MIB: usize = 1024 * 1024;
/// S3 refuses parts under 5 MiB (except the last one).
pub(crate) const MIN_PART_SIZE: usize = 5 * MIB;
/// S3's upper limit for one part.
const MAX_PART_SIZE: usize = 5 * 1024 * MIB;
/// 16 MiB parts allow 160 GB dumps within S3's 10,000-part limit.
pub(crate) const DEFAULT_PART_SIZE: usize = 16 * MIB;
const DEFAULT_REGION: &str = "us-east-1";

/// `s3://BUCKET/PREFIX`: the bucket and the key prefix backups go under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct S3Location {
    pub(crate) bucket: String,
    /// Without leading or trailing slashes; may be empty.
    pub(crate) prefix: String,
}

impl S3Location {
    /// Parses `s3://BUCKET` or `s3://BUCKET/PREFIX`. The error says what is wrong.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let rest = text.strip_prefix("s3://").ok_or_else(|| {
            "an S3 target starts with s3://, as in s3://my-bucket/backups".to_owned()
        })?;
        Self::from_bucket_and_prefix(rest)
    }

    /// Parses `BUCKET` or `BUCKET/PREFIX` (the value of `SLIPWAY_BACKUP_S3_BUCKET`).
    pub(crate) fn from_bucket_and_prefix(text: &str) -> Result<Self, String> {
        if carries_credentials(text) {
            // Not echoed: part of it is a secret.
            return Err(CREDENTIALS_IN_LOCATION.to_owned());
        }
        let (bucket, prefix) = text.split_once('/').unwrap_or((text, ""));
        if !valid_bucket(bucket) {
            return Err(format!(
                "{bucket:?} is not a bucket name (3 to 63 lowercase letters, digits, dots and dashes)"
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|part| part == "." || part == "..") || prefix.contains("//") {
            return Err(format!(
                "the prefix {prefix:?} has an empty, `.` or `..` segment"
            ));
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// Why an S3 location with `KEY:SECRET@` in it is refused.
const CREDENTIALS_IN_LOCATION: &str = "it carries credentials (user info before an `@`, not shown here); \
     name only the bucket and prefix, and put the credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";

/// Whether `BUCKET/PREFIX` text holds user info (`KEY:SECRET@BUCKET`): an `@`
/// after a `:`, or in the bucket name (where it is never valid).
pub(crate) fn carries_credentials(text: &str) -> bool {
    text.rsplit_once('@')
        .is_some_and(|(before, _)| before.contains(':') || !before.contains('/'))
}

fn valid_bucket(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && name
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphanumeric)
        && name
            .as_bytes()
            .last()
            .is_some_and(u8::is_ascii_alphanumeric)
}

/// What the S3 target reads from the environment, parsed: the settings table
/// (`config/table.rs`) declares each variable.
#[derive(Clone, Debug)]
pub(crate) struct S3Env {
    /// `AWS_ACCESS_KEY_ID`.
    pub(crate) access_key_id: Option<String>,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub(crate) secret_access_key: Option<Secret>,
    /// `AWS_SESSION_TOKEN`.
    pub(crate) session_token: Option<Secret>,
    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
    pub(crate) region: Option<String>,
    pub(crate) default_region: Option<String>,
    /// `SLIPWAY_BACKUP_S3_ENDPOINT`.
    pub(crate) endpoint: Option<String>,
    /// `SLIPWAY_BACKUP_S3_PATH_STYLE`.
    pub(crate) path_style: Option<bool>,
    /// `SLIPWAY_BACKUP_S3_PART_SIZE`.
    pub(crate) part_size: usize,
}

impl Default for S3Env {
    fn default() -> Self {
        Self {
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            region: None,
            default_region: None,
            endpoint: None,
            path_style: None,
            part_size: DEFAULT_PART_SIZE,
        }
    }
}

/// How to reach the store.
#[derive(Clone, Debug)]
pub(crate) struct S3Settings {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: Secret,
    pub(crate) session_token: Option<Secret>,
    pub(crate) region: String,
    /// For non-AWS stores (`MinIO`, R2, B2, s3s-fs, ...).
    pub(crate) endpoint: Option<String>,
    pub(crate) path_style: bool,
    pub(crate) part_size: usize,
}

impl S3Settings {
    /// The settings of the S3 target, or the credential it lacks.
    pub(crate) fn new(env: &S3Env) -> Result<Self, S3Error> {
        let access_key_id = env
            .access_key_id
            .clone()
            .ok_or(S3Error::MissingCredentials {
                missing: "AWS_ACCESS_KEY_ID",
            })?;
        let secret_access_key =
            env.secret_access_key
                .clone()
                .ok_or(S3Error::MissingCredentials {
                    missing: "AWS_SECRET_ACCESS_KEY",
                })?;
        Ok(Self {
            access_key_id,
            secret_access_key,
            session_token: env.session_token.clone(),
            region: env
                .region
                .clone()
                .or_else(|| env.default_region.clone())
                .unwrap_or_else(|| DEFAULT_REGION.to_owned()),
            endpoint: env.endpoint.clone(),
            // Most non-AWS stores serve path-style requests only.
            path_style: env.path_style.unwrap_or(env.endpoint.is_some()),
            part_size: env.part_size,
        })
    }
}

/// Parses `SLIPWAY_BACKUP_S3_ENDPOINT`: an `http` or `https` URL without credentials.
pub(crate) fn parse_endpoint(raw: &str) -> Result<String, String> {
    // Before parsing: a password with an unencoded `/` hides from the URL
    // parser (`http://u:p/w@host` has host `u`), not from the URL grammar.
    if crate::redact::has_user_info(raw) {
        return Err(
            "it carries credentials; put them in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, not in the URL"
                .to_owned(),
        );
    }
    let url = url::Url::parse(raw).map_err(|e| format!("{e} (example: https://s3.example.com)"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("use an http:// or https:// URL".to_owned());
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

/// Parses `SLIPWAY_BACKUP_S3_PATH_STYLE`.
pub(crate) fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("use true or false".to_owned()),
    }
}

/// Parses `16MiB`, `8MB`, `5242880`, ...
pub(crate) fn parse_part_size(raw: &str) -> Result<usize, String> {
    let lower = raw.to_ascii_lowercase();
    let (number, unit) = lower
        .find(|c: char| !c.is_ascii_digit())
        .map_or((lower.as_str(), ""), |at| lower.split_at(at));
    let multiplier = match unit.trim() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => MIB,
        "g" | "gb" | "gib" => 1024 * MIB,
        _ => return Err("use a size such as 16MiB".to_owned()),
    };
    let size = number
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| "use a size such as 16MiB".to_owned())?;
    if (MIN_PART_SIZE..=MAX_PART_SIZE).contains(&size) {
        Ok(size)
    } else {
        Err("S3 accepts parts from 5MiB to 5GiB".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> S3Env {
        S3Env {
            access_key_id: Some("id".to_owned()),
            secret_access_key: Some(Secret::new("shh-very-secret".to_owned())),
            ..S3Env::default()
        }
    }

    #[test]
    fn parses_locations() {
        let location = S3Location::parse("s3://my-bucket/backups/app/").unwrap();
        assert_eq!(location.bucket, "my-bucket");
        assert_eq!(location.prefix, "backups/app");
        assert_eq!(location.to_string(), "s3://my-bucket/backups/app");
        assert_eq!(S3Location::parse("s3://my-bucket").unwrap().prefix, "");
        assert!(S3Location::parse("s3://My_Bucket/x").is_err());
        assert!(S3Location::parse("s3://bucket/a/../b").is_err());
        assert!(S3Location::parse("gs://bucket").is_err());
        for with_credentials in [
            "s3://KEY:hush@bucket/x",
            "s3://KEY:se/cr?et@bucket/x",
            "s3://token@bucket",
        ] {
            let error = S3Location::parse(with_credentials).unwrap_err();
            assert!(
                !error.contains("hush") && !error.contains("cr?et"),
                "{error}"
            );
            assert!(error.contains("carries credentials"), "{error}");
        }
        assert_eq!(
            S3Location::parse("s3://bucket/who@where").unwrap().prefix,
            "who@where"
        );
    }

    #[test]
    fn endpoint_turns_path_style_on() {
        let s = S3Settings::new(&S3Env {
            endpoint: Some(parse_endpoint("http://127.0.0.1:9000/").unwrap()),
            ..credentials()
        })
        .unwrap();
        assert!(s.path_style);
        assert_eq!(s.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(s.region, "us-east-1");
        assert_eq!(s.part_size, DEFAULT_PART_SIZE);
        assert!(!format!("{s:?}").contains("shh-very-secret"));
    }

    #[test]
    fn missing_credentials_are_named() {
        let error = S3Settings::new(&S3Env {
            secret_access_key: None,
            ..credentials()
        })
        .unwrap_err();
        assert!(matches!(
            error,
            S3Error::MissingCredentials {
                missing: "AWS_SECRET_ACCESS_KEY"
            }
        ));
    }

    #[test]
    fn part_sizes_respect_s3_limits() {
        assert_eq!(parse_part_size("8MiB").unwrap(), 8 * MIB);
        assert_eq!(parse_part_size("5242880").unwrap(), 5 * MIB);
        assert!(parse_part_size("1MiB").is_err());
        assert!(parse_part_size("lots").is_err());
        assert!(parse_part_size("6GiB").is_err());
    }
}
