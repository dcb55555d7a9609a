//! The user info of a URL (`user:password@`), found by one rule for both products, so that the
//! buildpack (a private rustup mirror's credentials) and the release tool (database, S3 and
//! Heroku URLs) hide exactly the same part.

/// The user info of one URL without its scheme (`user:password@host/path`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserInfo<'a> {
    /// Everything before the `@`: `user` or `user:password`.
    pub userinfo: &'a str,
    pub user: &'a str,
    pub password: Option<&'a str>,
    /// Everything after the `@`: host, port, path, query.
    pub rest: &'a str,
}

/// Splits `token` (a URL without its `scheme://`) at its user info, as RFC
/// 3986 says: the authority ends at the first `/`, `?` or `#`, and the user
/// info at the authority's last `@`. With `lenient`, an authority without `@`
/// falls back to the token's last `@`: an unencoded `/`, `?` or `#` in a
/// password makes the URL invalid, but such text may still be echoed back.
#[must_use]
pub fn user_info(token: &str, lenient: bool) -> Option<UserInfo<'_>> {
    let authority = &token[..token.find(['/', '?', '#']).unwrap_or(token.len())];
    let at = authority
        .rfind('@')
        .or_else(|| lenient.then(|| token.rfind('@')).flatten())?;
    let userinfo = &token[..at];
    let (user, password) = userinfo
        .split_once(':')
        .map_or((userinfo, None), |(user, password)| (user, Some(password)));
    Some(UserInfo {
        userinfo,
        user,
        password,
        rest: &token[at + 1..],
    })
}

/// The scheme and user info of the URL `url` (`scheme://userinfo@rest`), read as
/// [`user_info`] reads its token.
#[must_use]
pub fn url_user_info(url: &str, lenient: bool) -> Option<(&str, UserInfo<'_>)> {
    let (scheme, token) = url.split_once("://")?;
    Some((scheme, user_info(token, lenient)?))
}
